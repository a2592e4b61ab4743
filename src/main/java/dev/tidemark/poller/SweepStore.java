package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The ids a running reconciliation sweep has seen (sweep_seen), kept until
 * it ends, and the database's clock it compares the records' applied_at with.
 */
@ApplicationScoped
public class SweepStore {

    static final String SEEN = """
            INSERT INTO sweep_seen (run_id, id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING""";

    /** Rows of sweeps that ended without cleaning up after themselves (their replica died). */
    static final String FORGET_ENDED = """
            DELETE FROM sweep_seen s USING sync_runs r WHERE s.run_id = r.id AND r.status <> 'running'""";

    static final String FORGET = "DELETE FROM sweep_seen WHERE run_id = $1";

    private final Pool pool;

    public SweepStore(Pool pool) {
        this.pool = pool;
    }

    /** The database's clock: sweeps compare it with records.applied_at, which it wrote. */
    public Uni<Instant> now() {
        return pool.query("SELECT now() AS now").execute().map(rows -> rows.iterator().next().getOffsetDateTime("now").toInstant());
    }

    public Uni<Void> seen(UUID runId, List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery(SEEN).execute(Tuple.of(runId, ids.toArray(String[]::new))).replaceWithVoid();
    }

    public Uni<Void> forgetEnded() {
        return pool.query(FORGET_ENDED).execute().replaceWithVoid();
    }

    public Uni<Void> forget(UUID runId) {
        return pool.preparedQuery(FORGET).execute(Tuple.of(runId)).replaceWithVoid();
    }
}
