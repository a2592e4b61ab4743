package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Refetches waiting to be tried again (table {@code refetch_pending}, V8):
 * one row per record; a newer request for a record already waiting folds into
 * its row. Claimed with a lease, so replicas share the rows and a replica that
 * dies mid-attempt leaves its rows to be claimed again when the lease ends.
 */
@ApplicationScoped
public class RefetchQueue {

    /** How long a claimed row is another replica's to leave alone. */
    static final Duration LEASE = Duration.ofMinutes(5);

    /** The reason a replayed request waits: its delivery was served within the replay window. */
    static final String REPLAYED = "a replay of a delivery served within tidemark.poller.refetch-replay-window";

    static final String DEFER = """
            INSERT INTO refetch_pending (source, resource, id, updated_at, observed_at, origin, next_at, last_error, connection)
            VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8, $10)
            ON CONFLICT (source, connection, resource, id) DO UPDATE SET
                updated_at = GREATEST(refetch_pending.updated_at, EXCLUDED.updated_at),
                observed_at = GREATEST(refetch_pending.observed_at, EXCLUDED.observed_at),
                -- A replay waiting out its window ($9) must not hold back a real request's retry.
                next_at = CASE WHEN refetch_pending.last_error = $9
                    THEN LEAST(refetch_pending.next_at, EXCLUDED.next_at) ELSE refetch_pending.next_at END,
                last_error = EXCLUDED.last_error""";

    static final String CLAIM = """
            UPDATE refetch_pending p SET next_at = now() + make_interval(secs => $2), attempts = p.attempts + 1
            FROM (SELECT source, connection, resource, id FROM refetch_pending WHERE next_at <= now()
                  ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
            WHERE p.source = due.source AND p.connection = due.connection AND p.resource = due.resource AND p.id = due.id
            RETURNING p.source, p.connection, p.resource, p.id, p.updated_at, p.observed_at, p.origin, p.attempts""";

    /** Done with a request: its row goes, unless a newer request folded in since it was claimed. */
    static final String DONE = """
            DELETE FROM refetch_pending WHERE source = $1 AND resource = $2 AND id = $3 AND observed_at <= $4 AND connection = $5""";

    static final String AGAIN = """
            UPDATE refetch_pending SET next_at = now() + make_interval(secs => $4), last_error = $5
            WHERE source = $1 AND resource = $2 AND id = $3 AND connection = $6""";

    static final String COUNT = "SELECT count(*) AS n FROM refetch_pending";

    /** A row back for a delivery served within the window ($4 seconds). */
    static final String SERVED_DELIVERY = """
            SELECT 1 FROM refetch_deliveries WHERE source = $1 AND delivery_id = $2 AND record_key = $3
                AND seen_at >= now() - make_interval(secs => $4)""";

    static final String REMEMBER_DELIVERY = """
            INSERT INTO refetch_deliveries AS d (source, delivery_id, record_key) VALUES ($1, $2, $3)
            ON CONFLICT (source, delivery_id, record_key) DO UPDATE SET seen_at = now()""";

    static final String FORGET_DELIVERIES = "DELETE FROM refetch_deliveries WHERE seen_at < now() - make_interval(secs => $1)";

    /** A claimed request and how many times it has been tried, this one included. */
    public record Pending(ChangeEnvelope request, int attempts) {
    }

    private final Pool pool;

    public RefetchQueue(Pool pool) {
        this.pool = pool;
    }

    /**
     * True if this webhook delivery's refetch of this record was served (or kept to be tried again) within
     * {@code window}: a replay of it (the same delivery id, which for a scheme without one is the body's hash).
     */
    Uni<Boolean> servedDelivery(ChangeEnvelope request, Duration window) {
        return pool.preparedQuery(SERVED_DELIVERY).execute(Tuple.of(request.source(), replayKey(request), request.key().kafkaKey(),
                (double) window.toMillis() / 1000)).map(rows -> rows.size() > 0);
    }

    /**
     * Remembers a delivery's refetch once it is served or kept: remembered only then, so a replica that dies
     * mid-call leaves the request to be served again when Kafka hands it to another.
     */
    Uni<Void> rememberDelivery(ChangeEnvelope request) {
        return pool.preparedQuery(REMEMBER_DELIVERY).execute(Tuple.of(request.source(), replayKey(request), request.key().kafkaKey()))
                .replaceWithVoid();
    }

    /**
     * What identifies a delivery against replays: its replay key (signed material) where the receiver set one,
     * else its delivery id (a processor's conflict refetch, a change from before replay keys).
     */
    static String replayKey(ChangeEnvelope request) {
        return request.replayKey() != null ? request.replayKey() : "delivery:" + request.deliveryId();
    }

    /** Forgets deliveries seen longer than {@code window} ago. */
    Uni<Void> forgetDeliveries(Duration window) {
        return pool.preparedQuery(FORGET_DELIVERIES).execute(Tuple.of((double) window.toMillis() / 1000)).replaceWithVoid();
    }

    /** Keeps {@code request} to be tried again after {@code delay}. */
    Uni<Void> defer(ChangeEnvelope request, Duration delay, String error) {
        return pool.preparedQuery(DEFER).execute(Tuple.tuple(List.of(request.source(), request.resource(), request.id(),
                        Timestamps.utc(request.updatedAt()), Timestamps.utc(request.observedAt()), request.origin().name(),
                        (double) delay.toMillis() / 1000, error, REPLAYED, request.connection())))
                .replaceWithVoid();
    }

    /** Up to {@code limit} requests whose time has come, each now leased to this replica. */
    Uni<List<Pending>> claim(int limit) {
        return pool.preparedQuery(CLAIM).execute(Tuple.of(limit, (double) LEASE.toSeconds())).map(rows -> {
            List<Pending> due = new ArrayList<>(rows.size());
            for (Row row : rows) {
                Instant updatedAt = row.getOffsetDateTime("updated_at").toInstant();
                Instant observedAt = row.getOffsetDateTime("observed_at").toInstant();
                due.add(new Pending(new ChangeEnvelope(row.getString("source"), row.getString("resource"), row.getString("id"),
                        Op.REFETCH, updatedAt, null, Origin.valueOf(row.getString("origin").toUpperCase(Locale.ROOT)),
                        "refetch-retry", observedAt, null, row.getString("connection")), row.getInteger("attempts")));
            }
            return due;
        });
    }

    Uni<Void> done(ChangeEnvelope request) {
        return pool.preparedQuery(DONE).execute(Tuple.of(request.source(), request.resource(), request.id(), Timestamps.utc(request.observedAt()),
                request.connection()))
                .replaceWithVoid();
    }

    Uni<Void> again(ChangeEnvelope request, Duration delay, String error) {
        return pool.preparedQuery(AGAIN).execute(Tuple.of(request.source(), request.resource(), request.id(),
                (double) delay.toMillis() / 1000, error).addString(request.connection())).replaceWithVoid();
    }

    /** Drops the waiting refetches of a connection (deleted). */
    Uni<Long> size() {
        return pool.query(COUNT).execute().map(rows -> rows.iterator().next().getLong("n"));
    }
}
