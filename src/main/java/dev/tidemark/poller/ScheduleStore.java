package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

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

    /** One due row as read: the resource, what is due, and since when. */
    public record Due(SyncTarget target, Kind kind, Instant dueAt) {
    }

    static final String REGISTER = """
            INSERT INTO poll_schedule AS s (source, resource, kind, every_ms, due_at)
            VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
            ON CONFLICT (source, resource, kind) DO UPDATE SET every_ms = EXCLUDED.every_ms,
                due_at = LEAST(s.due_at, now() + make_interval(secs => EXCLUDED.every_ms / 1000.0))""";

    static final String DUE = """
            SELECT source, resource, kind, due_at FROM poll_schedule WHERE due_at <= now() ORDER BY due_at LIMIT $1""";

    static final String ADVANCE = """
            UPDATE poll_schedule SET due_at = now() + make_interval(secs => $5)
            WHERE source = $1 AND resource = $2 AND kind = $3 AND due_at = $4""";

    private final Pool pool;

    public ScheduleStore(Pool pool) {
        this.pool = pool;
    }

    /** The resource's schedule of {@code kind} every {@code every}; first due after {@code first} if it has none yet. */
    public Uni<Void> register(SyncTarget target, Kind kind, Duration every, Duration first) {
        return pool.preparedQuery(REGISTER).execute(Tuple.of(target.source(), target.resource(), kind.column, every.toMillis(),
                first.toMillis() / 1000.0)).replaceWithVoid();
    }

    /** Up to {@code limit} rows due now, the longest due first. */
    public Uni<List<Due>> due(int limit) {
        return pool.preparedQuery(DUE).execute(Tuple.of(limit)).map(rows -> {
            List<Due> due = new ArrayList<>();
            for (Row row : rows) {
                due.add(new Due(SyncTarget.of(row.getString("source"), row.getString("resource")), Kind.of(row.getString("kind")),
                        row.getOffsetDateTime("due_at").toInstant()));
            }
            return due;
        });
    }

    /** Moves a row that was due at {@code dueAt} on to {@code next} from now; false if another replica moved it first. */
    public Uni<Boolean> advance(Due due, Duration next) {
        return pool.preparedQuery(ADVANCE).execute(Tuple.of(due.target().source(), due.target().resource(), due.kind().column,
                due.dueAt().atOffset(java.time.ZoneOffset.UTC), next.toMillis() / 1000.0)).map(rows -> rows.rowCount() == 1);
    }
}
