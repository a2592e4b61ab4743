package dev.tidemark.connections;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A connection as the rest of Tidemark sees it: everything but its secrets,
 * of which only whether they are set and when the credentials last changed.
 */
public record StoredConnection(
        Connection connection,
        UUID uid,
        ConnectionState state,
        String stateReason,
        Map<String, String> variables,
        List<String> routingKeys,
        JsonNode metadata,
        Map<String, String> schedule,
        ConnectionLimits rateLimit,
        boolean hasCredentials,
        Instant credentialsChangedAt,
        long credentialsVersion,
        boolean hasWebhookSecrets,
        Instant createdAt,
        Instant updatedAt) {

    public boolean active() {
        return state == ConnectionState.ACTIVE;
    }
}
