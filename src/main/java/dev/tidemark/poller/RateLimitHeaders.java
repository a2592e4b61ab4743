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
 * time, as GitHub sends it, and one larger than a hundred billion is epoch
 * milliseconds), and {@code RateLimit-Policy} for the quota per window.
 * {@code Retry-After} is seconds (Shopify's with a fraction, {@code 2.0}) or an HTTP date.
 *
 * <p>These are a provider's words, not facts: every duration read is clamped
 * to {@code longest} (a reset in the year 55,000 or a Retry-After of a
 * billion seconds is taken as that), and no value, however large or odd,
 * makes the arithmetic throw.
 */
public record RateLimitHeaders(Optional<Long> remaining, Optional<Duration> reset, Optional<Duration> retryAfter,
        Optional<Long> quota, Optional<Duration> window) {

    private static final Pattern STRUCTURED_REMAINING = Pattern.compile("(?:^|;)\\s*r\\s*=\\s*(\\d+)");
    private static final Pattern STRUCTURED_RESET = Pattern.compile("(?:^|;)\\s*t\\s*=\\s*(\\d+)");
    private static final Pattern LEGACY_REMAINING = Pattern.compile("(?:^|[,;\\s])remaining\\s*=\\s*(\\d+)");
    private static final Pattern LEGACY_RESET = Pattern.compile("(?:^|[,;\\s])reset\\s*=\\s*(\\d+)");
    private static final long EPOCH_THRESHOLD = 1_000_000_000L;
    /** An epoch time above this is in milliseconds: as seconds it would be past the year 5000, as milliseconds it is after 1973. */
    private static final long EPOCH_MILLIS_THRESHOLD = 100_000_000_000L;

    private static final Pattern POLICY_QUOTA = Pattern.compile("(?:^|;|\\s)q\\s*=\\s*(\\d+)");
    private static final Pattern POLICY_LEGACY_QUOTA = Pattern.compile("^\\s*(\\d+)\\s*;");
    private static final Pattern POLICY_WINDOW = Pattern.compile("(?:^|;)\\s*w\\s*=\\s*(\\d+)");

    public static final RateLimitHeaders NONE = new RateLimitHeaders(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty());

    public RateLimitHeaders(Optional<Long> remaining, Optional<Duration> reset, Optional<Duration> retryAfter) {
        this(remaining, reset, retryAfter, Optional.empty(), Optional.empty());
    }

    /**
     * @param header  a response header by name (case-insensitive), all its values
     * @param longest the longest wait any header may ask for ({@code tidemark.poller.max-provider-wait})
     */
    public static RateLimitHeaders read(Function<String, List<String>> header, Instant now, Duration longest) {
        Optional<Long> remaining = Optional.empty();
        Optional<Duration> reset = Optional.empty();
        Optional<String> structured = first(header.apply("RateLimit"));
        if (structured.isPresent()) {
            String value = structured.get();
            remaining = number(STRUCTURED_REMAINING, value).or(() -> number(LEGACY_REMAINING, value));
            reset = number(STRUCTURED_RESET, value).or(() -> number(LEGACY_RESET, value)).map(s -> seconds(s, longest));
        }
        if (remaining.isEmpty()) {
            remaining = first(header.apply("RateLimit-Remaining")).or(() -> first(header.apply("X-RateLimit-Remaining")))
                    .flatMap(RateLimitHeaders::parseLong);
        }
        if (reset.isEmpty()) {
            reset = first(header.apply("RateLimit-Reset")).or(() -> first(header.apply("X-RateLimit-Reset")))
                    .flatMap(RateLimitHeaders::parseLong)
                    .map(value -> value > EPOCH_MILLIS_THRESHOLD ? until(now, value, longest)
                            : value > EPOCH_THRESHOLD ? until(now, value * 1000, longest)
                            : seconds(value, longest));
        }
        Optional<Duration> retryAfter = first(header.apply("Retry-After")).flatMap(value -> retryAfter(value, now, longest));
        // The quota policy: "default";q=100;w=60 (structured) or 100;w=60 (earlier drafts).
        Optional<String> policy = first(header.apply("RateLimit-Policy"));
        Optional<Long> quota = policy.flatMap(value -> number(POLICY_QUOTA, value).or(() -> number(POLICY_LEGACY_QUOTA, value)));
        Optional<Duration> window = policy.flatMap(value -> number(POLICY_WINDOW, value)).filter(w -> w > 0)
                .map(w -> seconds(w, longest));
        return new RateLimitHeaders(remaining.map(r -> Math.max(0, r)), reset, retryAfter, quota.filter(q -> q > 0), window);
    }

    /** Seconds with a fraction, at most twelve digits before the point and nine after it. */
    private static final java.util.regex.Pattern DECIMAL_SECONDS = java.util.regex.Pattern.compile("[0-9]{1,12}\\.[0-9]{1,9}");

    static Optional<Duration> retryAfter(String value, Instant now, Duration longest) {
        String trimmed = value.trim();
        Optional<Long> seconds = parseLong(trimmed);
        if (seconds.isPresent()) {
            return Optional.of(seconds(seconds.get(), longest));
        }
        if (DECIMAL_SECONDS.matcher(trimmed).matches()) {
            // Not RFC 9110's form, but Shopify's ("2.0"): whole milliseconds, rounded up.
            long millis = new java.math.BigDecimal(trimmed).movePointRight(3).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
            return Optional.of(millis >= longest.toMillis() ? longest : Duration.ofMillis(millis));
        }
        try {
            Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return Optional.of(until(now, at.toEpochMilli(), longest));
        } catch (DateTimeParseException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /** {@code value} seconds, between zero and {@code longest}. */
    private static Duration seconds(long value, Duration longest) {
        return value <= 0 ? Duration.ZERO : value >= longest.toSeconds() ? longest : Duration.ofSeconds(value);
    }

    /** The time from {@code now} to an epoch time in milliseconds, between zero and {@code longest}. */
    private static Duration until(Instant now, long epochMillis, Duration longest) {
        long millis = epochMillis - now.toEpochMilli();   // both well inside a long: no overflow
        return millis <= 0 ? Duration.ZERO : millis >= longest.toMillis() ? longest : Duration.ofMillis(millis);
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
