package dev.tidemark.change;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One change to one record: the value of every message on {@code tidemark.changes}
 * (SPEC.md "Kafka topics"). Webhooks and polls both produce it; the processor is
 * its only consumer.
 *
 * @param updatedAt the record's own timestamp, truncated to microseconds UTC
 * @param data      the record as the provider sent it; null for deletes and refetches
 * @param deliveryId the webhook delivery or poll run that produced it
 * @param observedAt when Tidemark received it
 */
public record ChangeEnvelope(
        String source,
        String resource,
        String id,
        Op op,
        Instant updatedAt,
        JsonNode data,
        Origin origin,
        String deliveryId,
        Instant observedAt) {

    @JsonIgnore
    public RecordKey key() {
        return new RecordKey(source, resource, id);
    }
}
