package dev.tidemark.poller;

import dev.tidemark.change.Connection;
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
            INSERT INTO poll_leases AS l (source, connection, resource, parent, owner, run_id, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
            ON CONFLICT (source, connection, resource, parent) DO UPDATE SET owner = EXCLUDED.owner, run_id = EXCLUDED.run_id,
                expires_at = EXCLUDED.expires_at
            WHERE l.expires_at < now()
            RETURNING owner""";

    static final String RENEW = """
            UPDATE poll_leases SET expires_at = now() + make_interval(secs => $6)
            WHERE source = $1 AND connection = $2 AND resource = $3 AND parent = $4 AND owner = $5 AND run_id = $7""";

    static final String RELEASE = """
            DELETE FROM poll_leases WHERE source = $1 AND connection = $2 AND resource = $3 AND parent = $4 AND owner = $5 AND run_id = $6""";

    static final String HOLDER = """
            SELECT run_id FROM poll_leases WHERE source = $1 AND connection = $2 AND resource = $3 AND parent = $4 AND expires_at >= now()""";

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

    /**
     * Frees every lease of a connection: a run under way of it fails at its next checkpoint (saved only with the
     * lease) and stops, as a run whose lease another replica took does.
     */
    public Uni<Void> releaseAll(Connection connection) {
        return pool.preparedQuery("DELETE FROM poll_leases WHERE source = $1 AND connection = $2")
                .execute(Tuple.of(connection.source(), connection.id())).replaceWithVoid();
    }

    /** The run holding an unexpired lease on the resource, if any. */
    public Uni<Optional<UUID>> holder(SyncTarget target) {
        return pool.preparedQuery(HOLDER).execute(key(target))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getUUID("run_id")));
    }

    /** The resource's lease row: its parent is always '', whatever walk under it runs. */
    static Tuple key(SyncTarget target) {
        return Tuple.of(target.source(), target.connection().id(), target.resource(), "");
    }

    static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }
}
