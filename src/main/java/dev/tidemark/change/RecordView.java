package dev.tidemark.change;

import com.fasterxml.jackson.databind.JsonNode;

/** A record as the read API returns it and the changelog topic carries it (README "Read and admin API", docs/operations.md "Topics"). */
public record RecordView(String source, String resource, String id, String updatedAt, boolean deleted, JsonNode data) {

    public static RecordView of(RecordKey key, StoredState state) {
        return new RecordView(key.source(), key.resource(), key.id(), state.updatedAt().toString(), state.deleted(), state.data());
    }
}
