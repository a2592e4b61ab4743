package dev.tidemark.change;

import java.util.Optional;
import java.util.function.Predicate;

/**
 * The failure a wrapped exception stands for: Mutiny, Vert.x and the Kafka
 * connector wrap what went wrong, and what to do about it (retry, answer 4xx,
 * dead-letter) depends on the cause.
 */
public final class Causes {

    private Causes() {
    }

    /** The first of {@code failure} and its causes, outermost first, that {@code test} accepts. */
    public static Optional<Throwable> find(Throwable failure, Predicate<Throwable> test) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (test.test(t)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
