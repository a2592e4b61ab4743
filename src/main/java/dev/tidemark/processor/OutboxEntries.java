package dev.tidemark.processor;

import dev.tidemark.change.Transition;
import dev.tidemark.change.ContentHash;
import dev.tidemark.change.StoredState;
import dev.tidemark.outbox.OutboxEntry;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.change.RecordView;
import dev.tidemark.change.RecordKey;
import dev.tidemark.rules.RuleSet;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.UUID;

/**
 * What one record's applied transitions put in the outbox: a changelog entry
 * for every applied state and a CloudEvents 1.0 event (structured JSON,
 * docs/operations.md "Topics") for every rule edge.
 */
@ApplicationScoped
public class OutboxEntries {

    /** The CloudEvents extension attribute that names the connection of an event's record (absent for an implicit one). */
    public static final String CONNECTION = "connection";

    private final ObjectMapper json;
    private final EventFormat format;

    public OutboxEntries(ObjectMapper json) {
        this.json = json;
        this.format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
    }

    /**
     * The changelog entry for one applied state: the record as the read API
     * shows it, or a tombstone. Its id names the state and the one it replaced:
     * the same transition, redelivered or replayed, is written once, while a
     * record that returns to a state it held within the same updated_at (a
     * provider with one-second timestamps, A to B to A, the poll applying
     * each) gets a second entry, so the compacted changelog ends where the
     * table does.
     */
    public OutboxEntry changelog(RecordKey key, Transition transition) {
        StoredState state = transition.next();
        StoredState previous = transition.previous();
        String id = "record:" + uuid(key.kafkaKey(), state.updatedAt().toString(), hex(state.hash()),
                previous == null ? "none" : previous.updatedAt() + " " + hex(previous.hash()));
        return new OutboxEntry(id, OutboxEntry.RECORDS, key.kafkaKey(), "record",
                state.deleted() ? null : write(RecordView.of(key, state)));
    }

    /**
     * The event for one edge. Its id is a name-based UUID of the rule, the
     * record key and the new state's updatedAt, so a redelivered or replayed
     * change can only ever produce the same event again.
     */
    public OutboxEntry event(RecordKey key, RuleSet.Fired fired) {
        var transition = fired.transition();
        String id = uuid(fired.rule().name(), key.kafkaKey(), transition.next().updatedAt().toString());
        ObjectNode data = json.createObjectNode();
        data.put("rule", fired.rule().name());
        data.set("record", json.valueToTree(RecordView.of(key, transition.next())));
        data.set("previous", transition.previous() == null ? json.nullNode() : json.valueToTree(RecordView.of(key, transition.previous())));
        data.put("origin", transition.change().origin().wireName());
        CloudEventBuilder builder = CloudEventBuilder.v1();
        if (!key.connection().isEmpty()) {
            builder = builder.withExtension(CONNECTION, key.connection());
        }
        CloudEvent event = builder
                .withId(id)
                .withSource(source(key))
                .withType(fired.rule().eventType())
                .withSubject(key.id())
                .withTime(OffsetDateTime.ofInstant(transition.next().updatedAt(), ZoneOffset.UTC))
                .withDataContentType("application/json")
                .withData(write(data).getBytes(StandardCharsets.UTF_8))
                .build();
        return new OutboxEntry(id, OutboxEntry.EVENTS, key.kafkaKey(), fired.rule().eventType(),
                new String(format.serialize(event), StandardCharsets.UTF_8));
    }

    /**
     * {@code tidemark/{source}/{resource}}, or {@code tidemark/{source}/{connection}/{resource}} for a connection
     * created through the API, escaped where a name holds characters a URI may not.
     */
    private static URI source(RecordKey key) {
        String path = key.connection().isEmpty() ? key.source() + "/" + key.resource()
                : key.source() + "/" + key.connection() + "/" + key.resource();
        try {
            return new URI(null, null, "tidemark/" + path, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("source and resource names make no URI: " + key, e);
        }
    }

    private static String hex(ContentHash hash) {
        return hash == null ? "" : HexFormat.of().formatHex(hash.bytes());
    }

    private static String uuid(String... parts) {
        return UUID.nameUUIDFromBytes(String.join("\n", parts).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
