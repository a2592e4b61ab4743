package dev.tidemark.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.processor.RecordRepository.StoredRecord;

/** A record as the read API returns it and the changelog topic carries it (SPEC.md). */
public record RecordView(String source, String resource, String id, String updatedAt, boolean deleted, JsonNode data) {

    public static RecordView of(StoredRecord stored) {
        return new RecordView(stored.key().source(), stored.key().resource(), stored.key().id(),
                stored.state().updatedAt().toString(), stored.state().deleted(), stored.state().data());
    }
}
