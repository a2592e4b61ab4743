package dev.tidemark.change;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import java.util.ArrayList;

/**
 * Puts changes on {@code tidemark.changes}, keyed by record. The returned Uni
 * completes only when Kafka acknowledged every change (acks=all, idempotent
 * producer: see application.yaml), which is what lets the receiver answer 2xx.
 */
@ApplicationScoped
public class ChangePublisher {

    public static final String CHANNEL = "changes-out";

    /**
     * Changes of one publish handed to the emitter at a time. The emitter's buffer (4,096) is shared by every
     * request in flight (4,096 before): a delivery of thousands of events sent at once overflowed it, after its first changes
     * were already on Kafka, and the provider's every retry overflowed it again. Bounded, any delivery under
     * the receiver's max-changes-per-delivery is accepted, and sixteen of those at once fit the buffer.
     */
    static final int IN_FLIGHT = 512;

    /** Kafka's record overhead beyond key and value (batch header, record header, varints), generously. */
    static final int RECORD_OVERHEAD = 512;

    private final MutinyEmitter<String> emitter;
    private final ObjectMapper json;
    private final int maxRequestSize;

    public ChangePublisher(@Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 8192)
            MutinyEmitter<String> emitter, ObjectMapper json,
            @ConfigProperty(name = "mp.messaging.outgoing.changes-out.max.request.size", defaultValue = "1048576") int maxRequestSize) {
        this.emitter = emitter;
        this.json = json;
        this.maxRequestSize = maxRequestSize;
    }

    /**
     * Every change or none: each is serialized and held against the
     * producer's size limit before any is sent, so a delivery refused for one
     * of its changes (a 4xx: its retries would be refused too) leaves nothing
     * of itself on Kafka; and the changes go at most {@link #IN_FLIGHT} at a
     * time, so no count of them overflows the emitter. A failure after some
     * were sent (the broker away, a broker with a smaller limit than the
     * producer's) answers 503: the provider's retry sends them all again, and
     * those already applied are no-ops.
     */
    public Uni<Void> publish(List<ChangeEnvelope> changes) {
        List<Message<String>> messages = new ArrayList<>(changes.size());
        for (ChangeEnvelope change : changes) {
            try {
                messages.add(message(change));
            } catch (JsonProcessingException | RecordTooLargeException e) {
                return Uni.createFrom().failure(e);
            }
        }
        if (messages.size() == 1) {
            return Uni.createFrom().deferred(() -> emitter.sendMessage(messages.get(0)));
        }
        return Multi.createFrom().iterable(messages)
                .onItem().transformToUni(message -> Uni.createFrom().deferred(() -> emitter.sendMessage(message)))
                .merge(IN_FLIGHT)
                .collect().last().replaceWithVoid();
    }

    public Uni<Void> publish(ChangeEnvelope change) {
        return publish(List.of(change));
    }

    private Message<String> message(ChangeEnvelope change) throws JsonProcessingException {
        String value = json.writeValueAsString(change);
        String key = change.key().kafkaKey();
        // A char is at most 3 bytes in UTF-8: most changes are far below the limit, and are not encoded here
        // only to be measured (the serializer encodes them again).
        boolean mayBeTooLarge = 3L * (value.length() + key.length()) + RECORD_OVERHEAD > maxRequestSize;
        long size = mayBeTooLarge
                ? (long) value.getBytes(StandardCharsets.UTF_8).length + key.getBytes(StandardCharsets.UTF_8).length + RECORD_OVERHEAD
                : 0;
        if (size > maxRequestSize) {
            throw new RecordTooLargeException("the change for " + change.source() + "/" + change.resource() + " is about " + size
                    + " bytes as a Kafka record, over max.request.size (" + maxRequestSize + ")");
        }
        return Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build());
    }
}
