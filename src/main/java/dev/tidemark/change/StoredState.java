package dev.tidemark.change;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A record's state as the processor keeps it: the provider's own timestamp,
 * whether it is a tombstone, its data and the hash of that data. A tombstone
 * keeps its timestamp so that older updates cannot resurrect it.
 */
public record StoredState(Instant updatedAt, boolean deleted, JsonNode data, ContentHash hash) {

    public static StoredState of(Instant updatedAt, JsonNode data) {
        return new StoredState(updatedAt, false, data, ContentHash.of(data));
    }

    public static StoredState tombstone(Instant updatedAt) {
        return new StoredState(updatedAt, true, null, ContentHash.TOMBSTONE);
    }
}
