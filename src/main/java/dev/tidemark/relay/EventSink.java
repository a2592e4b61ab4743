package dev.tidemark.relay;

import dev.tidemark.outbox.OutboxStore.Claimed;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.literal.NamedLiteral;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where the relay publishes the outbox: Kafka today. One is chosen by
 * {@code tidemark.relay.sink}, as the CDI bean of that name ({@code @Named});
 * a new sink is one more class here. The relay calls it from one pass at a
 * time, on a worker thread.
 */
public interface EventSink {

    /** Connects; called once when the relay starts. */
    void open();

    /**
     * What a pass's publishing came to: the rows the sink refuses for good
     * (too large, say) with the reason, and the failure that stopped it, if
     * one did. The relay reports every refusal, failed pass or not.
     */
    record Published(Map<Claimed, String> refused, Optional<RuntimeException> failure) {
    }

    /**
     * Publishes the rows in their order and returns only once every one is
     * settled. Refused rows are marked so and never sent again. Any other
     * failure must stop the sending at that row and is returned: nothing of
     * the pass is marked, and the next pass sends the same rows again, so a
     * row sent after one that failed could otherwise overtake it.
     */
    Published publish(List<Claimed> rows);

    /** Flushes and disconnects; called once when the relay stops. */
    void close();

    /** The problem with {@code tidemark.relay.sink} naming {@code name}, unless one of {@code sinks} has that name. */
    static Optional<String> unknown(Instance<EventSink> sinks, String name) {
        if (sinks.select(NamedLiteral.of(name)).isResolvable()) {
            return Optional.empty();
        }
        String known = sinks.handlesStream().map(handle -> handle.getBean().getName()).filter(Objects::nonNull).sorted()
                .collect(Collectors.joining(", "));
        return Optional.of("tidemark.relay.sink: no sink named '" + name + "' (known: " + known + ")");
    }
}
