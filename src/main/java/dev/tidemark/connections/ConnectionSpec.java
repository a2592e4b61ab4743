package dev.tidemark.connections;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.Connection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A connection to create, already checked against its source by the caller
 * (field names, variables, credentials of the source's auth type). Secrets
 * are plain here and nowhere after: the store seals them before they leave
 * the process.
 */
public record ConnectionSpec(
        Connection connection,
        Optional<Map<String, String>> credentials,
        Map<String, String> variables,
        List<String> routingKeys,
        Optional<List<String>> webhookSecrets,
        JsonNode metadata,
        Map<String, String> schedule,
        ConnectionLimits rateLimit,
        ConnectionState state) {

    /** Never the secrets. */
    @Override
    public String toString() {
        return "ConnectionSpec[" + connection + ", " + state.configName() + "]";
    }
}
