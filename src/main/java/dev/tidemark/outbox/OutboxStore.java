package dev.tidemark.outbox;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * All SQL on the outbox table: the processor's insert (inside its batch
 * transaction), and the relay's claim, mark and clean-up.
 */
@ApplicationScoped
public class OutboxStore {

    /** Wakes relays in every replica when a transaction that wrote outbox rows commits. */
    public static final String CHANNEL = "tidemark_outbox";

    /**
     * Rows get their seq in the order given (WITH ORDINALITY), which is the
     * order the relay publishes them in: per record, the applied order. An id
     * already present is a redelivered edge or state, and is not written twice.
     */
    static final String INSERT = """
            INSERT INTO outbox (id, topic, aggregate_id, type, payload)
            SELECT t.id, t.topic, t.aggregate_id, t.type, t.payload
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                 WITH ORDINALITY AS t(id, topic, aggregate_id, type, payload, n)
            ORDER BY t.n
            ON CONFLICT (id) DO NOTHING""";

    static final String NOTIFY = "SELECT pg_notify('" + CHANNEL + "', '')";

    /**
     * One relay at a time publishes, so rows go out in seq order and every
     * record's entries stay in order. The lock is transaction-scoped: a relay
     * that dies releases it with its connection.
     */
    static final String LEAD = "SELECT pg_try_advisory_xact_lock(hashtext('tidemark.relay')) AS lead";

    static final String CLAIM = """
            SELECT seq, id, topic, aggregate_id, payload
            FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1""";

    static final String MARK = "UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])";

    static final String MARK_UNPUBLISHABLE = """
            UPDATE outbox SET published_at = now(), unpublishable = t.reason
            FROM unnest($1::bigint[], $2::text[]) AS t(seq, reason) WHERE outbox.seq = t.seq""";

    static final String CLEAN = """
            DELETE FROM outbox WHERE seq IN (
                SELECT seq FROM outbox WHERE published_at < now() - make_interval(secs => $1) ORDER BY seq LIMIT $2)""";

    static final String BACKLOG = """
            SELECT count(*) AS backlog, min(created_at) AS oldest FROM outbox WHERE published_at IS NULL""";

    /** The newest events still in the outbox (published or not, within the retention), for the read API. */
    static final String RECENT_EVENTS = """
            SELECT payload FROM outbox
            WHERE topic = 'events' AND starts_with(aggregate_id, $1) AND ($2::text IS NULL OR type = $2)
            ORDER BY seq DESC LIMIT $3""";

    /** A claimed row, ready to publish. */
    public record Claimed(long seq, String id, String topic, String key, String payload) {
    }

    /** How many rows wait to be published, and since when the oldest. */
    public record Backlog(long rows, Optional<Instant> oldest) {
    }

    private final Pool pool;

    public OutboxStore(Pool pool) {
        this.pool = pool;
    }

    public Pool pool() {
        return pool;
    }

    /** Inside the caller's transaction: writes the rows and, if there were any, notifies the relays on commit. */
    public Uni<Void> insert(SqlConnection conn, List<OutboxEntry> entries) {
        if (entries.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Tuple arrays = Tuple.of(
                entries.stream().map(OutboxEntry::id).toArray(String[]::new),
                entries.stream().map(OutboxEntry::topic).toArray(String[]::new),
                entries.stream().map(OutboxEntry::key).toArray(String[]::new),
                entries.stream().map(OutboxEntry::type).toArray(String[]::new));
        arrays.addArrayOfString(entries.stream().map(OutboxEntry::payload).toArray(String[]::new));
        return conn.preparedQuery(INSERT).execute(arrays)
                .chain(() -> conn.query(NOTIFY).execute())
                .replaceWithVoid();
    }

    /** Inside the caller's transaction: true if this replica is the one relaying now. */
    public Uni<Boolean> lead(SqlConnection conn) {
        return conn.query(LEAD).execute().map(rows -> rows.iterator().next().getBoolean("lead"));
    }

    public Uni<List<Claimed>> claim(SqlConnection conn, int limit) {
        return conn.preparedQuery(CLAIM).execute(Tuple.of(limit)).map(rows -> {
            List<Claimed> claimed = new ArrayList<>(rows.size());
            for (Row row : rows) {
                claimed.add(new Claimed(row.getLong("seq"), row.getString("id"), row.getString("topic"),
                        row.getString("aggregate_id"), row.getString("payload")));
            }
            return claimed;
        });
    }

    public Uni<Void> mark(SqlConnection conn, List<Claimed> published) {
        Long[] seqs = published.stream().map(Claimed::seq).toArray(Long[]::new);
        return conn.preparedQuery(MARK).execute(Tuple.of(seqs)).replaceWithVoid();
    }

    /** Marks rows Kafka refused for good as done, with the reason, so they stop blocking the rows behind them. */
    public Uni<Void> markUnpublishable(SqlConnection conn, Map<Claimed, String> refused) {
        if (refused.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Long[] seqs = refused.keySet().stream().map(Claimed::seq).toArray(Long[]::new);
        String[] reasons = refused.keySet().stream().map(refused::get).toArray(String[]::new);
        return conn.preparedQuery(MARK_UNPUBLISHABLE).execute(Tuple.of(seqs, reasons)).replaceWithVoid();
    }

    /** Deletes up to {@code limit} rows published longer than {@code retention} ago; returns how many. */
    public Uni<Integer> clean(Duration retention, int limit) {
        return pool.preparedQuery(CLEAN).execute(Tuple.of((double) retention.toSeconds(), limit)).map(rows -> rows.rowCount());
    }

    /**
     * Up to {@code limit} of the newest events whose record key starts with
     * {@code keyPrefix} ("" for all, "source/" or "source/resource/"), of one
     * type or any, newest first, each as the CloudEvent JSON it is published as.
     */
    public Uni<List<String>> recentEvents(String keyPrefix, String type, int limit) {
        return pool.preparedQuery(RECENT_EVENTS).execute(Tuple.of(keyPrefix, type, limit)).map(rows -> {
            List<String> events = new ArrayList<>(rows.size());
            rows.forEach(row -> events.add(row.getString("payload")));
            return events;
        });
    }

    public Uni<Backlog> backlog() {
        return pool.query(BACKLOG).execute().map(rows -> {
            Row row = rows.iterator().next();
            var oldest = row.getOffsetDateTime("oldest");
            return new Backlog(row.getLong("backlog"), Optional.ofNullable(oldest).map(o -> o.toInstant()));
        });
    }
}
