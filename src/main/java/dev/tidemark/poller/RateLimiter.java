package dev.tidemark.poller;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;

/**
 * One source's call budget: a token bucket of {@code requestsPerSecond} with
 * room for {@code burst} calls at once, kept as the generic cell rate
 * algorithm (a "theoretical arrival time" instead of a token count, so a
 * reservation is one comparison). When the provider says how many calls
 * remain until its window resets, the spacing stretches to spend exactly
 * those calls evenly over the rest of the window, with no burst: a provider
 * that advertises its quota sees it used to the end and never answers 429.
 * After a 429 or 503 every call waits until the time the provider gave.
 * Pure arithmetic over an injected clock; callers wait the returned time.
 */
public final class RateLimiter {

    /** The share of an advertised policy's rate the calls are paced at: timers firing late must not make two calls too close. */
    static final double POLICY_SHARE = 0.98;
    /** Added to a window's end computed from the calls' answer times, for the clocks of two machines. */
    static final Duration WINDOW_MARGIN = Duration.ofMillis(25);
    static final int REMEMBERED_CALLS = 1024;

    private final InstantSource clock;
    private final long configuredIntervalNanos;
    private final int burst;
    private long intervalNanos;
    private boolean advertised;
    private Instant theoreticalArrival;
    private Instant pausedUntil;
    /**
     * When the last calls were answered, oldest first: a provider's rolling window, as seen from here. The answer's
     * time, not the sending's: the provider counted the call somewhere between the two, and on a busy machine (either
     * one) a call sent a window after another can reach it less than a window after; never after its answer.
     * Measured: timed from sending with a 25 ms margin, 16 to 24 of 28,000 calls at two a second
     * (bench/connections-at-scale.sh, three runs) arrived inside the window and were answered 429.
     */
    private final ArrayList<Instant> answered = new ArrayList<>();

    public RateLimiter(double requestsPerSecond, int burst, InstantSource clock) {
        if (!(requestsPerSecond > 0)) {
            throw new IllegalArgumentException("requests-per-second must be positive, was " + requestsPerSecond);
        }
        this.clock = clock;
        this.configuredIntervalNanos = (long) (1_000_000_000L / requestsPerSecond);
        this.intervalNanos = configuredIntervalNanos;
        this.burst = Math.max(1, burst);
        this.theoreticalArrival = clock.instant();
        this.pausedUntil = Instant.MIN;
    }

    /** Takes the next call's slot; returns how long to wait before making the call. */
    public synchronized Duration reserve() {
        return reserve(ChronoUnit.FOREVER.getDuration());
    }

    /**
     * Takes the next call's slot if it comes within {@code maxWait}; returns
     * how long to wait for it. A caller told to wait longer makes no call, so
     * it takes no slot either: callers refused while the quota is paused must
     * not push the next free slot ever further past the pause.
     */
    public synchronized Duration reserve(Duration maxWait) {
        Instant now = clock.instant();
        long tolerance = advertised ? 0 : (burst - 1) * intervalNanos;
        Instant at = latest(now, theoreticalArrival.minusNanos(tolerance), pausedUntil);
        Duration wait = Duration.between(now, at);
        if (wait.compareTo(maxWait) <= 0) {
            theoreticalArrival = latest(theoreticalArrival, at, at).plusNanos(intervalNanos);
        }
        return wait;
    }

    /**
     * A call goes out now. Paced by an advertised quota, the next one goes
     * no sooner than one spacing after this: a call that left late (a busy
     * event loop, a GC pause) must not bring the next one closer to it than
     * the provider allows.
     */
    public synchronized void sending() {
        Instant now = clock.instant();
        if (advertised) {
            Instant next = now.plusNanos(intervalNanos);
            if (next.isAfter(theoreticalArrival)) {
                theoreticalArrival = next;
            }
        }
    }

    /**
     * Adapts to what a response said of the quota. With a policy (quota per
     * window) the calls are paced at just under that rate, which a provider
     * counting over any window of that length accepts; otherwise what remains
     * is spread over the time to the reset (precise enough for the usual hour
     * windows, where the reset's whole seconds do not matter). No call left:
     * wait for the reset.
     */
    public synchronized void observe(RateLimitHeaders headers) {
        Instant now = clock.instant();
        answered.add(now);
        if (answered.size() > REMEMBERED_CALLS) {
            answered.subList(0, answered.size() - REMEMBERED_CALLS).clear();
        }
        if (headers.quota().isPresent() && headers.window().isPresent()) {
            advertised = true;
            intervalNanos = Math.max(configuredIntervalNanos,
                    (long) (headers.window().get().toNanos() / (double) headers.quota().get() / POLICY_SHARE));
            // "None left" under a policy: the window is full, and it frees when the oldest call in it leaves, at
            // that call's time plus the window. The reset, in whole seconds, would overstate that wait by up to a
            // second each time; the times of this limiter's own last calls tell it to the millisecond. If someone
            // else is spending the same quota, the provider's 429 and its Retry-After say how long.
            long quota = headers.quota().get();
            if (headers.remaining().filter(r -> r <= 0).isPresent()) {
                Instant until = answered.size() >= quota
                        ? answered.get((int) (answered.size() - quota)).plus(headers.window().get()).plus(WINDOW_MARGIN)
                        : now.plus(headers.reset().orElse(headers.window().get()));
                pausedUntil = latest(pausedUntil, until, until);
            }
            return;
        }
        if (headers.remaining().isEmpty() || headers.reset().isEmpty()) {
            return;
        }
        long remaining = headers.remaining().get();
        Duration reset = headers.reset().get();
        advertised = true;
        if (remaining <= 0) {
            pausedUntil = latest(pausedUntil, now.plus(reset), now.plus(reset));
            intervalNanos = configuredIntervalNanos;
            return;
        }
        intervalNanos = Math.max(configuredIntervalNanos, reset.toNanos() / remaining);
        // The call that brought this answer was just made: the next one is one new spacing away,
        // neither a debt run up under the old spacing nor a burst saved up before.
        theoreticalArrival = now.plusNanos(intervalNanos);
    }

    /**
     * What the limiter does now: the rate it paces calls at, whether the
     * provider's headers set it, and until when calls wait (null when they do not).
     */
    public record State(double perSecond, boolean advertised, Instant pausedUntil) {
    }

    public synchronized State state() {
        Instant now = clock.instant();
        return new State(Math.round(1e11 / intervalNanos) / 100.0, advertised, pausedUntil.isAfter(now) ? pausedUntil : null);
    }

    /** After a 429 or 503: no call before {@code wait} has passed. */
    public synchronized void pause(Duration wait) {
        Instant until = clock.instant().plus(wait);
        pausedUntil = latest(pausedUntil, until, until);
    }

    private static Instant latest(Instant a, Instant b, Instant c) {
        Instant max = a.isAfter(b) ? a : b;
        return max.isAfter(c) ? max : c;
    }
}
