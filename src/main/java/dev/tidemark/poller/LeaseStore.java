package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Who runs a resource now: one lease per resource, taken only when free or
 * expired (even from this replica's other runs) and renewed only by the run
 * that holds it. Each rule is the WHERE of its statement. Leases are a
 * resource's: one run walks every parent of a nested resource.
 */
@ApplicationScoped
public class LeaseStore {

    static final String ACQUIRE = """
            INSERT INTO poll_leases AS l (source, resource, parent, owner, run_id, expires_at)
            VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
            ON CONFLICT (source, resource, parent) DO UPDATE SET owner = EXCLUDED.owner, run_id = EXCLUDED.run_id,
                expires_at = EXCLUDED.expires_at
            WHERE l.expires_at < now()
            RETURNING owner""";

    static final String RENEW = """
            UPDATE poll_leases SET expires_at = now() + make_interval(secs => $5)
            WHERE source = $1 AND resource = $2 AND parent = $3 AND owner = $4 AND run_id = $6""";

    static final String RELEASE = """
            DELETE FROM poll_leases WHERE source = $1 AND resource = $2 AND parent = $3 AND owner = $4 AND run_id = $5""";

    static final String HOLDER = """
            SELECT run_id FROM poll_leases WHERE source = $1 AND resource = $2 AND parent = $3 AND expires_at >= now()""";

    private final Pool pool;

    public LeaseStore(Pool pool) {
        this.pool = pool;
    }

    /** True if this replica now holds the resource's lease for {@code runId}. */
    public Uni<Boolean> acquire(SyncTarget target, String owner, UUID runId, Duration ttl) {
        return pool.preparedQuery(ACQUIRE).execute(key(target).addString(owner).addUUID(runId).addDouble(seconds(ttl)))
                .map(rows -> rows.size() == 1);
    }

    /** False if the lease is no longer this run's (it expired and another replica took it). */
    public Uni<Boolean> renew(SyncTarget target, String owner, UUID runId, Duration ttl) {
        return pool.preparedQuery(RENEW).execute(key(target).addString(owner).addDouble(seconds(ttl)).addUUID(runId))
                .map(rows -> rows.rowCount() == 1);
    }

    public Uni<Void> release(SyncTarget target, String owner, UUID runId) {
        return pool.preparedQuery(RELEASE).execute(key(target).addString(owner).addUUID(runId)).replaceWithVoid();
    }

    /** The run holding an unexpired lease on the resource, if any. */
    public Uni<Optional<UUID>> holder(SyncTarget target) {
        return pool.preparedQuery(HOLDER).execute(key(target))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getUUID("run_id")));
    }

    /** The resource's lease row: its parent is always '', whatever walk under it runs. */
    static Tuple key(SyncTarget target) {
        return Tuple.of(target.stored().source(), target.resource(), "");
    }

    static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }
}
