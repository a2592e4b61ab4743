package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * The poller's schedule: each resource's next poll and next sweep as a row
 * (V10). Registering keeps a due time already stored (a restart does not
 * reset the schedule; a shorter interval brings it closer); advancing moves
 * it on only from the due time this replica read, so two replicas that both
 * saw the row due move it once.
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

    /** One due row as read: the resource, what is due, since when, and the interval it was registered with. */
    public record Due(SyncTarget target, Kind kind, Instant dueAt, Duration every) {
    }

    static final String REGISTER = """
            INSERT INTO poll_schedule AS s (source, connection, resource, kind, every_ms, due_at)
            VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
            ON CONFLICT (source, connection, resource, kind) DO UPDATE SET every_ms = EXCLUDED.every_ms,
                due_at = LEAST(s.due_at, now() + make_interval(secs => EXCLUDED.every_ms / 1000.0))""";

    /** Due rows whose resource no run holds: a held one stays due and is read again once its run ends. */
    static final String DUE = """
            SELECT s.source, s.connection, s.resource, s.kind, s.due_at, s.every_ms FROM poll_schedule s
            WHERE s.due_at <= now() AND NOT EXISTS (SELECT 1 FROM poll_leases l
                WHERE l.source = s.source AND l.connection = s.connection AND l.resource = s.resource AND l.parent = ''
                AND l.expires_at > now())
            ORDER BY s.due_at LIMIT $1""";

    /** Moves the row on from the due time read, returning the new one; nothing when another replica moved it first. */
    static final String ADVANCE = """
            UPDATE poll_schedule SET due_at = now() + make_interval(secs => $6)
            WHERE source = $1 AND connection = $2 AND resource = $3 AND kind = $4 AND due_at = $5
            RETURNING due_at""";

    /** Puts a claimed row back to the due time it had, unless it moved since. */
    static final String PUT_BACK = """
            UPDATE poll_schedule SET due_at = $5 WHERE source = $1 AND connection = $2 AND resource = $3 AND kind = $4 AND due_at = $6""";

    static final String FORGET = "DELETE FROM poll_schedule WHERE source = $1 AND connection = $2";

    private final Pool pool;

    public ScheduleStore(Pool pool) {
        this.pool = pool;
    }

    /** The resource's schedule of {@code kind} every {@code every}; first due after {@code first} if it has none yet. */
    public Uni<Void> register(SyncTarget target, Kind kind, Duration every, Duration first) {
        return pool.preparedQuery(REGISTER).execute(Tuple.of(target.source(), target.connection().id(), target.resource(), kind.column, every.toMillis())
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

    /** Removes every row of a connection: it is polled no more. */
    public Uni<Void> forget(Connection connection) {
        return pool.preparedQuery(FORGET).execute(Tuple.of(connection.source(), connection.id())).replaceWithVoid();
    }

    /** Up to {@code limit} rows due now, the longest due first. */
    public Uni<List<Due>> due(int limit) {
        return pool.preparedQuery(DUE).execute(Tuple.of(limit)).map(rows -> {
            List<Due> due = new ArrayList<>();
            for (Row row : rows) {
                due.add(new Due(new SyncTarget(new Connection(row.getString("source"), row.getString("connection")),
                        row.getString("resource"), ""), Kind.of(row.getString("kind")),
                        row.getOffsetDateTime("due_at").toInstant(), Duration.ofMillis(row.getLong("every_ms"))));
            }
            return due;
        });
    }

    /**
     * Claims a row read as due: moves it on to {@code next} from now, if it is still at the due time read.
     * The new due time, or empty when another replica claimed it first (and so runs it).
     */
    public Uni<Optional<Instant>> claim(Due due, Duration next) {
        return pool.preparedQuery(ADVANCE).execute(Tuple.of(due.target().source(), due.target().connection().id(), due.target().resource(),
                        due.kind().column, due.dueAt().atOffset(ZoneOffset.UTC)).addDouble(next.toMillis() / 1000.0))
                .map(rows -> rows.rowCount() == 1
                        ? Optional.of(rows.iterator().next().getOffsetDateTime("due_at").toInstant())
                        : Optional.empty());
    }

    /** Gives a claimed row back its due time (its resource turned out to be held): it stays due. */
    public Uni<Void> putBack(Due due, Instant claimedUntil) {
        return pool.preparedQuery(PUT_BACK).execute(Tuple.of(due.target().source(), due.target().connection().id(), due.target().resource(),
                due.kind().column, due.dueAt().atOffset(ZoneOffset.UTC)).addOffsetDateTime(claimedUntil.atOffset(ZoneOffset.UTC))).replaceWithVoid();
    }
}
