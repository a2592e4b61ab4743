package dev.tidemark.poller;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a response says about the provider's quota: how many calls remain in
 * the current window and when it resets, and how long to wait after a 429 or
 * 503. Reads, in this order, the IETF structured {@code RateLimit} header
 * ({@code "default";r=50;t=30}, with {@code RateLimit-Policy} for the quota),
 * the earlier IETF drafts' {@code RateLimit-Limit / -Remaining / -Reset}, and
 * the common {@code X-RateLimit-*} (a reset larger than a billion is an epoch
 * time, as GitHub sends it), and {@code RateLimit-Policy} for the quota per
 * window. {@code Retry-After} is seconds or an HTTP date.
 */
public record RateLimitHeaders(Optional<Long> remaining, Optional<Duration> reset, Optional<Duration> retryAfter,
        Optional<Long> quota, Optional<Duration> window) {

    private static final Pattern STRUCTURED_REMAINING = Pattern.compile("(?:^|;)\\s*r\\s*=\\s*(\\d+)");
    private static final Pattern STRUCTURED_RESET = Pattern.compile("(?:^|;)\\s*t\\s*=\\s*(\\d+)");
    private static final Pattern LEGACY_REMAINING = Pattern.compile("(?:^|[,;\\s])remaining\\s*=\\s*(\\d+)");
    private static final Pattern LEGACY_RESET = Pattern.compile("(?:^|[,;\\s])reset\\s*=\\s*(\\d+)");
    private static final long EPOCH_THRESHOLD = 1_000_000_000L;

    private static final Pattern POLICY_QUOTA = Pattern.compile("(?:^|;|\\s)q\\s*=\\s*(\\d+)");
    private static final Pattern POLICY_LEGACY_QUOTA = Pattern.compile("^\\s*(\\d+)\\s*;");
    private static final Pattern POLICY_WINDOW = Pattern.compile("(?:^|;)\\s*w\\s*=\\s*(\\d+)");

    public static final RateLimitHeaders NONE = new RateLimitHeaders(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty());

    public RateLimitHeaders(Optional<Long> remaining, Optional<Duration> reset, Optional<Duration> retryAfter) {
        this(remaining, reset, retryAfter, Optional.empty(), Optional.empty());
    }

    /** @param header a response header by name (case-insensitive), all its values */
    public static RateLimitHeaders read(Function<String, List<String>> header, Instant now) {
        Optional<Long> remaining = Optional.empty();
        Optional<Duration> reset = Optional.empty();
        Optional<String> structured = first(header.apply("RateLimit"));
        if (structured.isPresent()) {
            String value = structured.get();
            remaining = number(STRUCTURED_REMAINING, value).or(() -> number(LEGACY_REMAINING, value));
            reset = number(STRUCTURED_RESET, value).or(() -> number(LEGACY_RESET, value)).map(Duration::ofSeconds);
        }
        if (remaining.isEmpty()) {
            remaining = first(header.apply("RateLimit-Remaining")).or(() -> first(header.apply("X-RateLimit-Remaining")))
                    .flatMap(RateLimitHeaders::parseLong);
        }
        if (reset.isEmpty()) {
            reset = first(header.apply("RateLimit-Reset")).or(() -> first(header.apply("X-RateLimit-Reset")))
                    .flatMap(RateLimitHeaders::parseLong)
                    .map(value -> value > EPOCH_THRESHOLD
                            ? Duration.between(now, Instant.ofEpochSecond(value))
                            : Duration.ofSeconds(value))
                    .map(d -> d.isNegative() ? Duration.ZERO : d);
        }
        Optional<Duration> retryAfter = first(header.apply("Retry-After")).flatMap(value -> retryAfter(value, now));
        // The quota policy: "default";q=100;w=60 (structured) or 100;w=60 (earlier drafts).
        Optional<String> policy = first(header.apply("RateLimit-Policy"));
        Optional<Long> quota = policy.flatMap(value -> number(POLICY_QUOTA, value).or(() -> number(POLICY_LEGACY_QUOTA, value)));
        Optional<Duration> window = policy.flatMap(value -> number(POLICY_WINDOW, value)).filter(w -> w > 0).map(Duration::ofSeconds);
        return new RateLimitHeaders(remaining, reset, retryAfter, quota.filter(q -> q > 0), window);
    }

    static Optional<Duration> retryAfter(String value, Instant now) {
        String trimmed = value.trim();
        Optional<Long> seconds = parseLong(trimmed);
        if (seconds.isPresent()) {
            return Optional.of(Duration.ofSeconds(Math.max(0, seconds.get())));
        }
        try {
            Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(now, at);
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> first(List<String> values) {
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    private static Optional<Long> number(Pattern pattern, String value) {
        Matcher matcher = pattern.matcher(value);
        return matcher.find() ? parseLong(matcher.group(1)) : Optional.empty();
    }

    private static Optional<Long> parseLong(String value) {
        try {
            return Optional.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
