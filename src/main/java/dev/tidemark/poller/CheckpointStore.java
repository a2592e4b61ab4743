package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import static dev.tidemark.change.Timestamps.column;
import static dev.tidemark.change.Timestamps.utc;

import dev.tidemark.config.ConfigKind;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.ArrayList;
import java.util.Map;
import java.util.HashMap;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Where each walk stands: one row per (source, resource, parent). A running
 * walk's checkpoint is written only together with the renewal of its lease
 * (SAVE_HELD), so a run that lost the resource can never move it.
 */
@ApplicationScoped
public class CheckpointStore {

    private static final Logger LOG = Logger.getLogger(CheckpointStore.class);

    static final String LOAD = """
            SELECT mode, status, run_id, since, updated_at, last_id, seen, token, saved_at, parent_updated_at
            FROM poll_checkpoints WHERE source = $1 AND connection = $2 AND resource = $3 AND parent = $4""";

    /**
     * A walk's checkpoint as it ends; for a nested resource's walk under one
     * parent, also the parent's updated_at the walk began with ($13), which
     * tells the next poll whether the parent changed since.
     */
    static final String SAVE = """
            INSERT INTO poll_checkpoints (source, connection, resource, parent, mode, status, run_id, since, updated_at, last_id, seen, token,
                saved_at, parent_updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now(), $13)
            ON CONFLICT (source, connection, resource, parent) DO UPDATE SET mode = EXCLUDED.mode, status = EXCLUDED.status,
                run_id = EXCLUDED.run_id, since = EXCLUDED.since, updated_at = EXCLUDED.updated_at, last_id = EXCLUDED.last_id,
                seen = EXCLUDED.seen, token = EXCLUDED.token, saved_at = now(), parent_updated_at = EXCLUDED.parent_updated_at""";

    /**
     * After a page: the walk's checkpoint, saved only while the run still
     * holds the resource's lease (which this renews), in one statement. A run
     * whose lease another replica took can never move the checkpoint. The
     * lease is the resource's (parent ''), also for a walk under one parent
     * of a nested resource: one run walks all its parents.
     */
    static final String SAVE_HELD = """
            WITH held AS (
                UPDATE poll_leases SET expires_at = now() + make_interval(secs => $13)
                WHERE source = $1 AND connection = $2 AND resource = $3 AND parent = '' AND owner = $12 AND run_id = $7
                RETURNING 1)
            INSERT INTO poll_checkpoints (source, connection, resource, parent, mode, status, run_id, since, updated_at, last_id, seen, token, saved_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $14, now() WHERE EXISTS (SELECT 1 FROM held)
            ON CONFLICT (source, connection, resource, parent) DO UPDATE SET mode = EXCLUDED.mode, status = EXCLUDED.status,
                run_id = EXCLUDED.run_id, since = EXCLUDED.since, updated_at = EXCLUDED.updated_at, last_id = EXCLUDED.last_id,
                seen = EXCLUDED.seen, token = EXCLUDED.token, saved_at = now()
            RETURNING 1""";

    /** A nested resource's per-parent checkpoints: how many, how many completed, the oldest save. */
    static final String PARENT_CHECKPOINTS = """
            SELECT count(*) AS parents, count(*) FILTER (WHERE status = 'completed') AS completed, min(saved_at) AS oldest
            FROM poll_checkpoints WHERE source = $1 AND connection = $2 AND resource = $3 AND parent <> ''""";

    /** After a completed nested sweep: the checkpoints of parents it did not walk (gone, deleted, left out by when). */
    static final String FORGET_PARENT_CHECKPOINTS = """
            DELETE FROM poll_checkpoints WHERE source = $1 AND connection = $2 AND resource = $3 AND parent <> '' AND NOT (parent = ANY($4::text[]))""";

    /** How far a nested resource's walks got: parents with a checkpoint, those whose last walk completed, the oldest save. */
    public record ParentCheckpoints(long parents, long completed, Instant oldestSavedAt) {
    }

    private final Pool pool;

    public CheckpointStore(Pool pool) {
        this.pool = pool;
    }

    public Uni<Optional<Checkpoint>> checkpoint(SyncTarget target) {
        return pool.preparedQuery(LOAD).execute(key(target)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            Position position = new Position(column(row, "since"), column(row, "updated_at"), row.getString("last_id"),
                    row.getLong("seen"), row.getString("token"));
            return Optional.of(new Checkpoint(stored(SyncMode.class, row.getString("mode"), SyncMode.FULL, target),
                    stored(RunStatus.class, row.getString("status"), RunStatus.FAILED, target), row.getUUID("run_id"), position,
                    column(row, "saved_at"), column(row, "parent_updated_at")));
        });
    }

    public Uni<Void> save(SyncTarget target, SyncMode mode, RunStatus status, UUID runId, Position position) {
        return save(target, mode, status, runId, position, null);
    }

    /** @param parentUpdatedAt for a walk under one parent, the parent's updated_at when the walk began; else null */
    public Uni<Void> save(SyncTarget target, SyncMode mode, RunStatus status, UUID runId, Position position, Instant parentUpdatedAt) {
        Tuple values = key(target).addString(mode.configName()).addString(status.configName()).addUUID(runId)
                .addOffsetDateTime(utc(position.since())).addOffsetDateTime(utc(position.updatedAt()))
                .addString(position.id()).addLong(position.seen()).addString(position.token())
                .addOffsetDateTime(utc(parentUpdatedAt));
        return pool.preparedQuery(SAVE).execute(values).replaceWithVoid();
    }

    /** Saves a running walk's checkpoint and renews its lease; false (nothing saved) if the run no longer holds the lease. */
    public Uni<Boolean> saveHeld(SyncTarget target, SyncMode mode, UUID runId, Position position, String owner, Duration ttl) {
        Tuple values = key(target).addString(mode.configName()).addString(RunStatus.RUNNING.configName()).addUUID(runId)
                .addOffsetDateTime(utc(position.since())).addOffsetDateTime(utc(position.updatedAt()))
                .addString(position.id()).addLong(position.seen()).addString(owner).addDouble(LeaseStore.seconds(ttl))
                .addString(position.token());
        return pool.preparedQuery(SAVE_HELD).execute(values).map(rows -> rows.size() == 1);
    }

    /**
     * The newest record time each top-level resource of each of {@code connections} of a source has reached, by
     * connection and resource: what a connection's lag is measured from.
     */
    public Uni<Map<String, Map<String, Instant>>> reached(String source, List<String> connections) {
        return pool.preparedQuery("""
                SELECT connection, resource, updated_at FROM poll_checkpoints
                WHERE source = $1 AND connection = ANY($2::text[]) AND parent = '' AND updated_at IS NOT NULL""")
                .execute(Tuple.of(source, connections.toArray(String[]::new))).map(rows -> {
                    Map<String, Map<String, Instant>> reached = new HashMap<>();
                    rows.forEach(row -> reached.computeIfAbsent(row.getString("connection"), c -> new HashMap<>())
                            .put(row.getString("resource"), column(row, "updated_at")));
                    return reached;
                });
    }

    public Uni<ParentCheckpoints> parentCheckpoints(SyncTarget target) {
        return pool.preparedQuery(PARENT_CHECKPOINTS).execute(Tuple.of(target.source(), target.connection().id(), target.resource())).map(rows -> {
            Row row = rows.iterator().next();
            return new ParentCheckpoints(row.getLong("parents"), row.getLong("completed"), column(row, "oldest"));
        });
    }

    public Uni<Void> forgetParentCheckpoints(SyncTarget target, List<String> walkedParents) {
        return pool.preparedQuery(FORGET_PARENT_CHECKPOINTS)
                .execute(Tuple.of(target.source(), target.connection().id(), target.resource(), walkedParents.toArray(String[]::new))).replaceWithVoid();
    }

    /**
     * A mode or status as stored. Tidemark writes only the names of its kinds; any other text (a row edited by
     * hand) is read as {@code otherwise} — a full walk that failed, which the next run resumes or starts over —
     * rather than stop every run of the resource.
     */
    private static <E extends Enum<E> & ConfigKind> E stored(Class<E> kinds, String name, E otherwise, SyncTarget target) {
        return ConfigKind.named(kinds, name).orElseGet(() -> {
            LOG.warnf("checkpoint of %s: unknown %s '%s', read as %s", target, kinds.getSimpleName(), name, otherwise);
            return otherwise;
        });
    }

    private static Tuple key(SyncTarget target) {
        return Tuple.of(target.source(), target.connection().id(), target.resource(), target.parent());
    }
}
