package dev.tidemark.change;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Puts changes on {@code tidemark.changes}, keyed by record. The returned Uni
 * completes only when Kafka acknowledged every change (acks=all, idempotent
 * producer: see application.yaml), which is what lets the receiver answer 2xx.
 */
@ApplicationScoped
public class ChangePublisher {

    public static final String CHANNEL = "changes-out";

    private final MutinyEmitter<String> emitter;
    private final ObjectMapper json;

    public ChangePublisher(@Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
            MutinyEmitter<String> emitter, ObjectMapper json) {
        this.emitter = emitter;
        this.json = json;
    }

    public Uni<Void> publish(List<ChangeEnvelope> changes) {
        List<Uni<Void>> acks = changes.stream().map(this::publish).toList();
        return Uni.join().all(acks).andFailFast().replaceWithVoid();
    }

    public Uni<Void> publish(ChangeEnvelope change) {
        String value;
        try {
            value = json.writeValueAsString(change);
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
        Message<String> message = Message.of(value).addMetadata(
                OutgoingKafkaRecordMetadata.<String>builder().withKey(change.key().kafkaKey()).build());
        return Uni.createFrom().deferred(() -> emitter.sendMessage(message));
    }
}
