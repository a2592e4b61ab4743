package dev.tidemark.change;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A record as the read API returns it and the changelog topic carries it (README "Read and admin API",
 * docs/operations.md "Topics"). {@code connection} is absent for a record of its source's implicit connection,
 * so a single-account source reads exactly as before connections.
 */
@JsonPropertyOrder({"source", "connection", "resource", "id", "updatedAt", "deleted", "data"})
public record RecordView(String source, @JsonInclude(JsonInclude.Include.NON_EMPTY) String connection, String resource, String id,
        String updatedAt, boolean deleted, JsonNode data) {

    public static RecordView of(RecordKey key, StoredState state) {
        return new RecordView(key.source(), key.connection(), key.resource(), key.id(), state.updatedAt().toString(), state.deleted(),
                state.data());
    }
}
