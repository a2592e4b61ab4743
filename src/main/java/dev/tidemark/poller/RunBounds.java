package dev.tidemark.poller;

import dev.tidemark.config.PollerConfig;
import dev.tidemark.config.TidemarkConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What keeps one run from going on for ever whatever the provider answers: at
 * most {@code maxPages} pages and {@code maxDuration} of time (both then stop
 * it as partial, to continue from its checkpoint), and, in each walk, no
 * next-page token asked for twice (a provider handing out a cursor it gave
 * before would have the walk go round for ever: that fails the run). Pure.
 */
record RunBounds(String resource, long maxPages, Duration maxDuration, String durationKey, Duration sweepDuration) {

    static RunBounds of(String name, TidemarkConfig.Resource resource, PollerConfig poller) {
        return new RunBounds(name, resource.maxPages().orElse(poller.maxPages()), resource.maxRunDuration().orElse(poller.maxRunDuration()),
                "max-run-duration", resource.maxSweepDuration().orElse(poller.maxSweepDuration()));
    }

    /** A sweep's bounds: its own, longer time limit (see Walk#forSweep). */
    RunBounds forSweep() {
        return new RunBounds(resource, maxPages, sweepDuration, "max-sweep-duration", sweepDuration);
    }

    /** Why the run may not make another call, having sunk {@code stats.pages()} pages and read {@code unsaved} more. */
    Optional<String> exceeded(CallStats stats, int unsaved) {
        long pages = stats.pages() + unsaved;
        if (pages >= maxPages) {
            return Optional.of("the run read " + pages + " pages, its bound (max-pages of resource " + resource + ", or "
                    + "tidemark.poller.max-pages); it stops here and the next run continues from the checkpoint");
        }
        long ranNanos = System.nanoTime() - stats.startedNanos;
        if (maxDuration.toSeconds() < Long.MAX_VALUE / 1_000_000_000L && ranNanos >= maxDuration.toNanos()) {
            return Optional.of("the run went on for " + Duration.ofNanos(ranNanos).toSeconds() + " s, its bound (" + durationKey
                    + " of resource " + resource + ", or tidemark.poller." + durationKey + "); it stops here and the next run "
                    + "continues from the checkpoint (a sweep from the first page)");
        }
        return Optional.empty();
    }

    /**
     * The tokens one walk asked for, kept as 128-bit digests: a walk of a hundred thousand pages of long
     * signed next URLs holds a few megabytes, not the URLs.
     */
    static final class Tokens {
        private final Set<String> seen = new HashSet<>();

        /** True the first time {@code token} is asked for in this walk. */
        boolean first(String token) {
            return seen.add(digest(token));
        }

        private static String digest(String token) {
            try {
                byte[] sha = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
                return new String(sha, 0, 16, StandardCharsets.ISO_8859_1);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is part of every JDK", e);
            }
        }
    }
}
