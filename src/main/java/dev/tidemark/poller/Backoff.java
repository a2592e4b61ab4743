package dev.tidemark.poller;

import dev.tidemark.config.PollerConfig;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Waits between retries of a failed call: exponential from {@code base},
 * capped at {@code max}, with full jitter (a random point between zero and
 * the exponential step), so many pollers that failed together do not retry
 * together.
 */
public record Backoff(Duration base, Duration max, int attempts) {

    /** The retry policy the poller's configuration sets. */
    public static Backoff of(PollerConfig poller) {
        return new Backoff(poller.retryBase(), poller.retryMax(), poller.retryAttempts());
    }

    /** The wait before retry number {@code retry} (1 for the first retry). */
    public Duration delay(int retry, DoubleSupplier random) {
        long ceiling = base.toMillis() << Math.min(retry - 1, 20);
        long capped = Math.min(Math.max(ceiling, 0), max.toMillis());
        return Duration.ofMillis((long) (random.getAsDouble() * capped));
    }
}
