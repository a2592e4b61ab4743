package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.time.ZoneOffset;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The poller's schedule: each (connection, resource)'s next poll and next
 * sweep as a row (V10, V12). Registering keeps a due time already stored (a
 * restart does not reset the schedule; a shorter interval brings it closer).
 * Replicas claim due rows in batches with {@code FOR UPDATE SKIP LOCKED}:
 * our own SQL rather than a scheduler library (db-scheduler and Quartz are
 * blocking JDBC, with their own tables and threads, and neither knows a lease
 * or a share per connection), one statement per tick on the reactive client
 * the poller already uses. A claimed row is moved on by a lease's time; its
 * run's end moves it one interval on from the claim.
 */
@ApplicationScoped
public class ScheduleStore {

    /** What a row schedules. */
    public enum Kind {
        POLL("poll"), SWEEP("sweep");

        final String column;

        Kind(String column) {
            this.column = column;
        }

        static Kind of(String column) {
            return column.equals("sweep") ? SWEEP : POLL;
        }
    }

    static final String REGISTER = """
            INSERT INTO poll_schedule AS s (source, connection, resource, kind, every_ms, due_at)
            VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
            ON CONFLICT (source, connection, resource, kind) DO UPDATE SET every_ms = EXCLUDED.every_ms,
                due_at = LEAST(s.due_at, now() + make_interval(secs => EXCLUDED.every_ms / 1000.0))""";

    /**
     * Claims up to $1 due rows in one statement, the longest due first: rows whose resource no run holds, at most
     * $2 per connection counting its resources already busy in any replica (a run holds the lease, or a replica
     * has claimed a row and not yet started or ended its run), each locked with
     * SKIP LOCKED so that two replicas claiming at once take different rows, and each moved on by $3 seconds, the
     * claim: if this replica dies before its run starts, the row falls due again when the claim runs out. The
     * candidates are read first (a window function cannot share a level with FOR UPDATE), then locked and checked
     * again, still due and still unclaimed.
     */
    /**
     * The resources of the connection {@code source}, {@code connection} (SQL expressions) busy now in any replica: a
     * run holds the lease, or a replica claimed a row and has not yet started or ended the run. The claim and
     * {@link #busy} count the same thing, so it is written once.
     */
    static String busyResources(String source, String connection) {
        return """
                SELECT h.resource FROM poll_leases h WHERE h.source = %1$s AND h.connection = %2$s AND h.parent = '' AND h.expires_at > now()
                UNION SELECT b.resource FROM poll_schedule b WHERE b.source = %1$s AND b.connection = %2$s AND b.claimed_until > now()"""
                .formatted(source, connection);
    }

    static final String CLAIM = """
            WITH candidates AS (
                SELECT s.source, s.connection, s.resource, s.kind,
                    row_number() OVER (PARTITION BY s.source, s.connection ORDER BY s.due_at)
                        + (SELECT count(*) FROM (%1$s) busy) AS nth
                FROM poll_schedule s
                WHERE s.due_at <= now() AND NOT EXISTS (SELECT 1 FROM poll_leases l
                    WHERE l.source = s.source AND l.connection = s.connection AND l.resource = s.resource AND l.parent = ''
                    AND l.expires_at > now())
            ), picked AS (
                SELECT s.source, s.connection, s.resource, s.kind, s.due_at FROM poll_schedule s
                JOIN candidates c ON c.source = s.source AND c.connection = s.connection AND c.resource = s.resource AND c.kind = s.kind
                WHERE c.nth <= $2 AND s.due_at <= now()
                ORDER BY s.due_at LIMIT $1
                FOR UPDATE OF s SKIP LOCKED
            )
            UPDATE poll_schedule s SET due_at = now() + make_interval(secs => $3), claimed_until = now() + make_interval(secs => $3)
            FROM picked p WHERE s.source = p.source AND s.connection = p.connection AND s.resource = p.resource AND s.kind = p.kind
            RETURNING s.source, s.connection, s.resource, s.kind, s.every_ms, p.due_at AS was_due, now() AS claimed_at,
                s.due_at AS claimed_until""".formatted(busyResources("s.source", "s.connection"));

    /**
     * Taken without waiting: while another replica claims, this one's tick passes (the next is a second away). A
     * replica that stalls inside its claim loses its session after the idle-in-transaction timeout, and the lock with it.
     */
    static final String SERIALIZE = """
            SELECT set_config('idle_in_transaction_session_timeout', '10000', true),
                pg_try_advisory_xact_lock(hashtext('tidemark.schedule.claim')) AS held""";

    /**
     * Moves a claimed row on to $6 seconds after its claim, unless it moved since (a shorter interval registered, a
     * run asked for through the API); the claim's mark goes either way.
     */
    static final String ADVANCE = """
            UPDATE poll_schedule SET due_at = CASE WHEN due_at = $5 THEN $7::timestamptz + make_interval(secs => $6) ELSE due_at END,
                claimed_until = CASE WHEN claimed_until = $5 THEN NULL ELSE claimed_until END
            WHERE source = $1 AND connection = $2 AND resource = $3 AND kind = $4 AND (due_at = $5 OR claimed_until = $5)""";

    /** Puts a claimed row back to the due time it had, unless it moved since; the claim's mark goes either way. */
    static final String PUT_BACK = """
            UPDATE poll_schedule SET due_at = CASE WHEN due_at = $6 THEN $5 ELSE due_at END,
                claimed_until = CASE WHEN claimed_until = $6 THEN NULL ELSE claimed_until END
            WHERE source = $1 AND connection = $2 AND resource = $3 AND kind = $4 AND (due_at = $6 OR claimed_until = $6)""";

    /** Moves a row on by its own interval and $5 of it, if the resource has one of that kind. */
    static final String RESCHEDULE = """
            UPDATE poll_schedule SET due_at = now() + make_interval(secs => every_ms / 1000.0 * (1 + $5::float8))
            WHERE source = $1 AND connection = $2 AND resource = $3 AND kind = $4""";


    private final Pool pool;

    public ScheduleStore(Pool pool) {
        this.pool = pool;
    }

    /** The resource's schedule of {@code kind} every {@code every}; first due after {@code first} if it has none yet. */
    public Uni<Void> register(SyncTarget target, Kind kind, Duration every, Duration first) {
        return register(pool, target, kind, every, first);
    }

    /** The same, on {@code db}: a connection's create registers its rows in its own transaction. */
    public Uni<Void> register(SqlClient db, SyncTarget target, Kind kind, Duration every, Duration first) {
        return db.preparedQuery(REGISTER).execute(Tuple.of(target.source(), target.connection().id(), target.resource(), kind.column, every.toMillis())
                .addDouble(first.toMillis() / 1000.0)).replaceWithVoid();
    }

    /** How many rows are due now, and how long the oldest has waited (zero when none is). */
    public record Backlog(long rows, Duration oldestAge) {
    }

    /** The schedule's backlog: rows due now (held ones included) and the age of the oldest; one indexed read. */
    public Uni<Backlog> backlog() {
        return pool.query("""
                SELECT count(*) AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(due_at)) * 1000, 0)::bigint AS oldest_ms
                FROM poll_schedule WHERE due_at <= now()""").execute().map(rows -> {
            Row row = rows.iterator().next();
            return new Backlog(row.getLong("n"), Duration.ofMillis(Math.max(0, row.getLong("oldest_ms"))));
        });
    }

    /**
     * A row this replica claimed: the resource, what is due, the interval it was registered with, when it had
     * fallen due, when it was claimed, and the due time the claim moved it to (what {@link #advance} and
     * {@link #putBack} compare against).
     */
    public record Claimed(SyncTarget target, Kind kind, Duration every, Instant wasDue, Instant claimedAt, Instant claimedUntil) {
    }

    /**
     * Claims up to {@code limit} due rows, the longest due first, at most {@code perConnection} runs of a
     * connection counting those already running, each held for {@code hold}; rows another replica is claiming at
     * the same moment are skipped, not waited for.
     */
    public Uni<List<Claimed>> claim(int limit, int perConnection, Duration hold) {
        // One claim at a time across replicas (a few milliseconds each, once a tick): the share per connection is read
        // and taken in one step, never by two replicas from the same snapshot. The statement after the lock reads
        // what the claim before it committed.
        return pool.withTransaction(db -> db.query(SERIALIZE).execute().chain(held -> held.iterator().next().getBoolean("held")
                ? db.preparedQuery(CLAIM).execute(Tuple.of(limit, perConnection).addDouble(hold.toMillis() / 1000.0)).map(ScheduleStore::claimed)
                : Uni.createFrom().item(List.<Claimed>of())));
    }

    private static List<Claimed> claimed(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<Claimed> claimed = new ArrayList<>();
        {
            for (Row row : rows) {
                claimed.add(new Claimed(new SyncTarget(new Connection(row.getString("source"), row.getString("connection")),
                        row.getString("resource"), ""), Kind.of(row.getString("kind")), Duration.ofMillis(row.getLong("every_ms")),
                        row.getOffsetDateTime("was_due").toInstant(), row.getOffsetDateTime("claimed_at").toInstant(),
                        row.getOffsetDateTime("claimed_until").toInstant()));
            }
        }
        // RETURNING keeps no order: the longest due first again.
        claimed.sort(java.util.Comparator.comparing(Claimed::wasDue));
        return claimed;
    }

    static final String BUSY = "SELECT count(*) AS n, COALESCE(bool_or(resource = $3), false) AS target FROM ("
            + busyResources("$1", "$2") + ") busy";

    /** How many of a connection's resources are busy in any replica, and whether one of them is the target's. */
    public record Busy(int resources, boolean target) {
    }

    /**
     * How busy the target's connection is now in any replica: its resources a run holds the lease of, or a replica
     * has claimed a row of and not yet started or ended the run; and whether the target's resource is one of them.
     */
    public Uni<Busy> busy(SyncTarget target) {
        return pool.preparedQuery(BUSY)
                .execute(Tuple.of(target.source(), target.connection().id(), target.resource()))
                .map(rows -> new Busy(rows.iterator().next().getInteger("n"), rows.iterator().next().getBoolean("target")));
    }

    /** Moves a claimed row on to {@code next} after its claim: its run has ended (or its turn passed). */
    public Uni<Void> advance(Claimed claimed, Duration next) {
        return pool.preparedQuery(ADVANCE).execute(key(claimed).addOffsetDateTime(claimed.claimedUntil().atOffset(ZoneOffset.UTC))
                .addDouble(next.toMillis() / 1000.0).addOffsetDateTime(claimed.claimedAt().atOffset(ZoneOffset.UTC))).replaceWithVoid();
    }

    /** Gives a claimed row back the due time it had (its resource turned out to be held, or the pool full): it stays due. */
    public Uni<Void> putBack(Claimed claimed) {
        return pool.preparedQuery(PUT_BACK).execute(key(claimed).addOffsetDateTime(claimed.wasDue().atOffset(ZoneOffset.UTC))
                .addOffsetDateTime(claimed.claimedUntil().atOffset(ZoneOffset.UTC))).replaceWithVoid();
    }

    /**
     * Moves the resource's row of {@code kind} on by its interval plus up to {@code jitter} of it, from now: a run
     * asked for through the API did that row's work. A claim of it another replica holds then finds it moved.
     */
    public Uni<Void> reschedule(SyncTarget target, Kind kind, double jitter) {
        return pool.preparedQuery(RESCHEDULE).execute(Tuple.of(target.source(), target.connection().id(), target.resource(), kind.column)
                .addDouble(jitter * ThreadLocalRandom.current().nextDouble())).replaceWithVoid();
    }

    private static Tuple key(Claimed claimed) {
        return Tuple.of(claimed.target().source(), claimed.target().connection().id(), claimed.target().resource(), claimed.kind().column);
    }
}
