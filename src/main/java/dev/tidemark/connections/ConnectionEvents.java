package dev.tidemark.connections;

import dev.tidemark.change.Connection;
import dev.tidemark.outbox.OutboxEntry;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The events a connection's own state publishes on tidemark.events, as
 * CloudEvents 1.0 structured JSON like the rules' events: source
 * {@code tidemark/{source}/{connection}}, subject the connection's id, the
 * extension attribute {@code connection}. Never a secret in them.
 */
final class ConnectionEvents {

    static final String NEEDS_REAUTHORIZATION = "tidemark.connection.needs-reauthorization";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EventFormat FORMAT = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);

    private ConnectionEvents() {
    }

    /**
     * The event of a connection's credentials refused for good. Its id is made of the connection's row and when
     * its credentials were set, so the same refusal, written twice, is one event, and the next credentials' another.
     */
    static OutboxEntry needsReauthorization(UUID uid, Connection connection, String credentials, String reason, Instant at) {
        String id = UUID.nameUUIDFromBytes((NEEDS_REAUTHORIZATION + "\n" + uid + "\n" + credentials).getBytes(StandardCharsets.UTF_8))
                .toString();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("source", connection.source());
        data.put("connection", connection.id());
        data.put("state", ConnectionState.NEEDS_REAUTHORIZATION.configName());
        data.put("reason", reason);
        CloudEvent event = CloudEventBuilder.v1()
                .withId(id)
                .withSource(source(connection))
                .withType(NEEDS_REAUTHORIZATION)
                .withSubject(connection.id())
                .withTime(at.atOffset(ZoneOffset.UTC))
                .withExtension("connection", connection.id())
                .withDataContentType("application/json")
                .withData(write(data))
                .build();
        return new OutboxEntry(id, OutboxEntry.EVENTS, connection.source() + "/" + connection.id(), NEEDS_REAUTHORIZATION,
                new String(FORMAT.serialize(event), StandardCharsets.UTF_8));
    }

    private static URI source(Connection connection) {
        try {
            return new URI(null, null, "tidemark/" + connection.source() + "/" + connection.id(), null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("source and connection names make no URI: " + connection, e);
        }
    }

    private static byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of text is always JSON", e);
        }
    }
}
