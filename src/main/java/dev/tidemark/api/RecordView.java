package dev.tidemark.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.RecordKey;
import dev.tidemark.processor.RecordRepository.StoredRecord;
import dev.tidemark.processor.StoredState;

/** A record as the read API returns it and the changelog topic carries it (SPEC.md). */
public record RecordView(String source, String resource, String id, String updatedAt, boolean deleted, JsonNode data) {

    public static RecordView of(StoredRecord stored) {
        return of(stored.key(), stored.state());
    }

    public static RecordView of(RecordKey key, StoredState state) {
        return new RecordView(key.source(), key.resource(), key.id(), state.updatedAt().toString(), state.deleted(), state.data());
    }
}
