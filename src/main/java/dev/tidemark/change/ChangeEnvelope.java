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
 * @param connection the id of the connection (account) whose record it is; "" (and absent from the JSON) for
 *                   the source's implicit connection
 * @param routingKey on a webhook's change for a source routed by pointer or header: the account as the provider
 *                   names it, which the processor resolves to a connection (then this is null); absent otherwise
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
        @JsonInclude(JsonInclude.Include.NON_NULL) String replayKey,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) String connection,
        @JsonInclude(JsonInclude.Include.NON_NULL) String routingKey) {

    /** A change read without a connection (written before connections, or of an implicit one) is its source's implicit connection's. */
    public ChangeEnvelope {
        connection = connection == null ? Connection.IMPLICIT : connection;
    }

    /** A change of {@code connection} (its id; "" for the implicit one). */
    public ChangeEnvelope(String source, String resource, String id, Op op, Instant updatedAt, JsonNode data, Origin origin,
            String deliveryId, Instant observedAt, String replayKey, String connection) {
        this(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, replayKey, connection, null);
    }

    /** A change of the source's implicit connection. */
    public ChangeEnvelope(String source, String resource, String id, Op op, Instant updatedAt, JsonNode data, Origin origin,
            String deliveryId, Instant observedAt, String replayKey) {
        this(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, replayKey, Connection.IMPLICIT);
    }

    /** A change of the source's implicit connection without a replay key: everything but a webhook's refetch. */
    public ChangeEnvelope(String source, String resource, String id, Op op, Instant updatedAt, JsonNode data, Origin origin,
            String deliveryId, Instant observedAt) {
        this(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, null, Connection.IMPLICIT);
    }

    /** A change of {@code connection}'s record, without a replay key. */
    public static ChangeEnvelope of(Connection connection, String resource, String id, Op op, Instant updatedAt, JsonNode data,
            Origin origin, String deliveryId, Instant observedAt) {
        return new ChangeEnvelope(connection.source(), resource, id, op, updatedAt, data, origin, deliveryId, observedAt, null,
                connection.id());
    }

    /** The same change, carrying what a replay of its delivery would repeat and no new delivery could. */
    public ChangeEnvelope withReplayKey(String key) {
        return new ChangeEnvelope(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, key, connection, routingKey);
    }

    /** The same change, of another connection of its source (its routing key, if it had one, resolved). */
    public ChangeEnvelope withConnection(String connectionId) {
        return new ChangeEnvelope(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, replayKey, connectionId, null);
    }

    /**
     * The same change, naming the account it belongs to by a routing key (a Stripe account id, a shop's domain)
     * that the processor resolves to a connection.
     */
    public ChangeEnvelope withRoutingKey(String key) {
        return new ChangeEnvelope(source, resource, id, op, updatedAt, data, origin, deliveryId, observedAt, replayKey, connection, key);
    }

    /** True while the change names its account only by a routing key: its record is not known yet. */
    @JsonIgnore
    public boolean unrouted() {
        return routingKey != null && connection.isEmpty();
    }

    @JsonIgnore
    public Connection owner() {
        return new Connection(source, connection);
    }

    @JsonIgnore
    public RecordKey key() {
        return new RecordKey(source, connection, resource, id);
    }
}
