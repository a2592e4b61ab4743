package dev.tidemark.connections;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A PATCH: each present field replaces the stored one; absent ones stay.
 * New credentials make a connection that needed re-authorization active
 * again (paused if {@code enabled} is false).
 */
public record ConnectionChange(
        Optional<Map<String, String>> credentials,
        Optional<Map<String, String>> variables,
        Optional<List<String>> routingKeys,
        Optional<List<String>> webhookSecrets,
        Optional<JsonNode> metadata,
        Optional<Map<String, String>> schedule,
        Optional<ConnectionLimits> rateLimit,
        Optional<Boolean> enabled) {

    /** Never the secrets. */
    @Override
    public String toString() {
        return "ConnectionChange[credentials " + credentials.isPresent() + ", enabled " + enabled.orElse(null) + "]";
    }
}
