package dev.tidemark.change;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One change to one record: the value of every message on {@code tidemark.changes}
 * (docs/operations.md "Topics"). Webhooks and polls both produce it; the processor is
 * its only consumer.
 *
 * @param updatedAt the record's own timestamp, truncated to microseconds UTC
 * @param data      the record as the provider sent it; null for deletes and refetches
 * @param deliveryId the webhook delivery or poll run that produced it
 * @param observedAt when Tidemark received it
 * @param replayKey  on a webhook's changes: what only a replay of its delivery repeats (the scheme's signed id,
 *                   else the hash of the signed timestamp and body), where the delivery id may be an unsigned
 *                   header; the poller serves a delivery's refetch once per window by it. Null on other changes
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
        Instant observedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) String replayKey) {

    /** A change without a replay key: everything but a webhook's refetch. */
    public ChangeEnvelope(String source, String resource, String id, Op op, Instant updatedAt, JsonNode data, Origin origin,
            String deliveryId, Instant observedAt) {
        this(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, null);
    }

    /** The same change, carrying what a replay of its delivery would repeat and no new delivery could. */
    public ChangeEnvelope withReplayKey(String key) {
        return new ChangeEnvelope(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, key);
    }

    @JsonIgnore
    public RecordKey key() {
        return new RecordKey(source, resource, id);
    }
}
