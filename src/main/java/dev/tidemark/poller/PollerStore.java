package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The poller's rows: checkpoints, sync runs and leases. Each write is one
 * statement whose WHERE is the rule it keeps (a lease is taken only when free
 * or expired, even from this replica's other runs; it is renewed only by the run
 * that holds it), so the invariant
 * reads in the SQL.
 */
@ApplicationScoped
public class PollerStore {

    static final String LOAD_CHECKPOINT = """
            SELECT mode, status, run_id, since, updated_at, last_id, seen, token, saved_at, parent_updated_at
            FROM poll_checkpoints WHERE source = $1 AND resource = $2 AND parent = $3""";

    /**
     * A walk's checkpoint as it ends; for a nested resource's walk under one
     * parent, also the parent's updated_at the walk began with ($12), which
     * tells the next poll whether the parent changed since.
     */
    static final String SAVE_CHECKPOINT = """
            INSERT INTO poll_checkpoints (source, resource, parent, mode, status, run_id, since, updated_at, last_id, seen, token,
                saved_at, parent_updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), $12)
            ON CONFLICT (source, resource, parent) DO UPDATE SET mode = EXCLUDED.mode, status = EXCLUDED.status,
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
                UPDATE poll_leases SET expires_at = now() + make_interval(secs => $12)
                WHERE source = $1 AND resource = $2 AND parent = '' AND owner = $11 AND run_id = $6
                RETURNING 1)
            INSERT INTO poll_checkpoints (source, resource, parent, mode, status, run_id, since, updated_at, last_id, seen, token, saved_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $13, now() WHERE EXISTS (SELECT 1 FROM held)
            ON CONFLICT (source, resource, parent) DO UPDATE SET mode = EXCLUDED.mode, status = EXCLUDED.status,
                run_id = EXCLUDED.run_id, since = EXCLUDED.since, updated_at = EXCLUDED.updated_at, last_id = EXCLUDED.last_id,
                seen = EXCLUDED.seen, token = EXCLUDED.token, saved_at = now()
            RETURNING 1""";

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

    /**
     * Runs of the resource still marked running when a new run holds its
     * lease: their replica stopped without ending them (the lease it held
     * expired), so they never will.
     */
    static final String ABANDON = """
            UPDATE sync_runs SET status = 'failed', ended_at = now(),
                error = 'abandoned: the replica running it stopped; a later run resumed from its checkpoint'
            WHERE source = $1 AND resource = $2 AND parent = $3 AND status = 'running' AND id <> $4""";

    static final String START_RUN = """
            INSERT INTO sync_runs (id, source, resource, parent, mode, trigger, status, owner)
            VALUES ($1, $2, $3, $4, $5, $6, 'running', $7)""";

    static final String PROGRESS = """
            UPDATE sync_runs SET calls = $2, pages = $3, records = $4, retries = $5, rate_limit_waits = $6, waited_ms = $7
            WHERE id = $1""";

    static final String END_RUN = """
            UPDATE sync_runs SET calls = $2, pages = $3, records = $4, retries = $5, rate_limit_waits = $6, waited_ms = $7,
                status = $8, error = $9, ended_at = now()
            WHERE id = $1""";

    static final String RUN_COLUMNS = """
            id, source, resource, parent, mode, trigger, status, owner, started_at, ended_at,
            calls, pages, records, retries, rate_limit_waits, waited_ms, error""";

    /**
     * A source's stored OAuth2 state, unless the configured refresh token
     * (the seed) changed since it was stored: then the operator re-authorized,
     * and the stored state is void.
     */
    static final String AUTH_STATE = """
            SELECT refresh_token, refresh_version, needs_reauthorization, reason FROM source_auth
            WHERE source = $1 AND seed_hash = $2""";

    static final String SAVE_REFRESH_TOKEN = """
            INSERT INTO source_auth (source, seed_hash, refresh_token, refresh_version) VALUES ($1, $2, $3, $4)
            ON CONFLICT (source) DO UPDATE SET seed_hash = EXCLUDED.seed_hash, refresh_token = EXCLUDED.refresh_token,
                refresh_version = EXCLUDED.refresh_version, needs_reauthorization = false, reason = NULL, updated_at = now()
            WHERE source_auth.seed_hash <> EXCLUDED.seed_hash OR source_auth.refresh_version < EXCLUDED.refresh_version""";

    static final String REFUSE = """
            INSERT INTO source_auth (source, seed_hash, needs_reauthorization, reason) VALUES ($1, $2, true, $3)
            ON CONFLICT (source) DO UPDATE SET seed_hash = EXCLUDED.seed_hash, needs_reauthorization = true,
                reason = EXCLUDED.reason, updated_at = now()""";

    static final String REFUSED_SOURCES = "SELECT source, reason FROM source_auth WHERE needs_reauthorization";

    static final String SEEN = """
            INSERT INTO sweep_seen (run_id, id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING""";

    /** Rows of sweeps that ended without cleaning up after themselves (their replica died). */
    static final String FORGET_ENDED_SWEEPS = """
            DELETE FROM sweep_seen s USING sync_runs r WHERE s.run_id = r.id AND r.status <> 'running'""";

    static final String FORGET_SWEEP = "DELETE FROM sweep_seen WHERE run_id = $1";

    /**
     * What a completed sweep did not see, among the records that existed
     * before it began: neither written by Tidemark nor updated at the provider
     * since then. Those are the records the provider no longer has.
     */
    static final String UNSEEN = """
            SELECT r.id FROM records r
            WHERE r.source = $1 AND r.resource = $2 AND NOT r.deleted AND r.updated_at IS NOT NULL
              AND r.applied_at < $4 AND r.updated_at < $4
              AND NOT EXISTS (SELECT 1 FROM sweep_seen s WHERE s.run_id = $3 AND s.id = r.id)
            ORDER BY r.id""";

    /** The content hashes of the local copies of these records (live ones only: a deleted record that is listed again has changed). */
    static final String HASHES = """
            SELECT id, content_hash FROM records
            WHERE source = $1 AND resource = $2 AND id = ANY($3::text[]) AND NOT deleted AND updated_at IS NOT NULL""";

    /**
     * What a completed sweep of a nested resource did not see: as UNSEEN, among
     * the children of the parents it walked ($5, their keys) and of parents
     * deleted locally ($6 the parent resource; $7 true when the parent is a
     * top-level resource, whose record id is the key with its segment decoded).
     */
    static final String UNSEEN_NESTED = """
            SELECT r.id FROM records r
            WHERE r.source = $1 AND r.resource = $2 AND NOT r.deleted AND r.updated_at IS NOT NULL
              AND r.applied_at < $4 AND r.updated_at < $4
              AND NOT EXISTS (SELECT 1 FROM sweep_seen s WHERE s.run_id = $3 AND s.id = r.id)
              AND """ + sweptParent(5, 6, 7) + """
            ORDER BY r.id""";

    /**
     * A nested record {@code r} whose parent (its id but the last segment) the
     * sweep walked (the parameter numbered {@code walked}: their keys) or is
     * deleted locally (parameter {@code parentResource}; parameter
     * {@code topLevel} true when the parent is a top-level record, whose id is
     * its key with the segment decoded). One text for the sweep's deletes and
     * the count they are measured against.
     */
    static String sweptParent(int walked, int parentResource, int topLevel) {
        String parentKey = "regexp_replace(r.id, '/[^/]*$', '')";
        return "(" + parentKey + " = ANY($" + walked + "::text[])\n"
                + "     OR EXISTS (SELECT 1 FROM records p WHERE p.source = $1 AND p.resource = $" + parentResource + " AND p.deleted\n"
                + "                AND p.id = CASE WHEN $" + topLevel + " THEN replace(replace(" + parentKey + ", '%2F', '/'), '%25', '%')\n"
                + "                                ELSE " + parentKey + " END))";
    }

    /** A nested resource's per-parent checkpoints: how many, how many completed, the oldest save. */
    static final String PARENT_CHECKPOINTS = """
            SELECT count(*) AS parents, count(*) FILTER (WHERE status = 'completed') AS completed, min(saved_at) AS oldest
            FROM poll_checkpoints WHERE source = $1 AND resource = $2 AND parent <> ''""";

    /** A page of a parent resource's live records, by id: after $3 (from it, if $5), before $6 if given. */
    static final String PARENTS = """
            SELECT id, updated_at, data::text AS data FROM records
            WHERE source = $1 AND resource = $2 AND NOT deleted AND updated_at IS NOT NULL
              AND (id > $3 OR ($5 AND id = $3)) AND ($6::text IS NULL OR id < $6)
            ORDER BY id LIMIT $4""";

    /** The live children of the walked parents ($3) and of parents deleted locally: what a nested sweep may delete from. */
    static final String LIVE_NESTED = """
            SELECT count(*) AS live FROM records r
            WHERE r.source = $1 AND r.resource = $2 AND NOT r.deleted AND r.updated_at IS NOT NULL
              AND """ + sweptParent(3, 4, 5);

    /** After a completed nested sweep: the checkpoints of parents it did not walk (gone, deleted, left out by when). */
    static final String FORGET_PARENT_CHECKPOINTS = """
            DELETE FROM poll_checkpoints WHERE source = $1 AND resource = $2 AND parent <> '' AND NOT (parent = ANY($3::text[]))""";

    static final String LIVE = """
            SELECT count(*) AS live FROM records WHERE source = $1 AND resource = $2 AND NOT deleted AND updated_at IS NOT NULL""";

    /**
     * What is stored of a source's OAuth2 grant: the latest refresh token and its version (how many rotations
     * after the configured one; 0 when none is stored), and why the provider refused, if it did.
     */
    public record AuthState(Optional<String> refreshToken, long version, Optional<String> refused) {
    }

    private final Pool pool;

    public PollerStore(Pool pool) {
        this.pool = pool;
    }

    public Uni<Optional<Checkpoint>> checkpoint(SyncTarget target) {
        return pool.preparedQuery(LOAD_CHECKPOINT).execute(key(target)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            Position position = new Position(instant(row, "since"), instant(row, "updated_at"), row.getString("last_id"),
                    row.getLong("seen"), row.getString("token"));
            return Optional.of(new Checkpoint(row.getString("mode"), row.getString("status"), row.getUUID("run_id"), position,
                    instant(row, "saved_at"), instant(row, "parent_updated_at")));
        });
    }

    public Uni<Void> save(SyncTarget target, String mode, String status, UUID runId, Position position) {
        return save(target, mode, status, runId, position, null);
    }

    /** @param parentUpdatedAt for a walk under one parent, the parent's updated_at when the walk began; else null */
    public Uni<Void> save(SyncTarget target, String mode, String status, UUID runId, Position position, Instant parentUpdatedAt) {
        Tuple values = key(target).addString(mode).addString(status).addUUID(runId)
                .addOffsetDateTime(time(position.since())).addOffsetDateTime(time(position.updatedAt()))
                .addString(position.id()).addLong(position.seen()).addString(position.token())
                .addOffsetDateTime(time(parentUpdatedAt));
        return pool.preparedQuery(SAVE_CHECKPOINT).execute(values).replaceWithVoid();
    }

    /** Saves a running walk's checkpoint and renews its lease; false (nothing saved) if the run no longer holds the lease. */
    public Uni<Boolean> saveHeld(SyncTarget target, String mode, UUID runId, Position position, String owner, Duration ttl) {
        Tuple values = key(target).addString(mode).addString("running").addUUID(runId)
                .addOffsetDateTime(time(position.since())).addOffsetDateTime(time(position.updatedAt()))
                .addString(position.id()).addLong(position.seen()).addString(owner).addDouble(seconds(ttl))
                .addString(position.token());
        return pool.preparedQuery(SAVE_HELD).execute(values).map(rows -> rows.size() == 1);
    }

    /** True if this replica now holds the resource's lease for {@code runId}. */
    public Uni<Boolean> acquire(SyncTarget target, String owner, UUID runId, Duration ttl) {
        return pool.preparedQuery(ACQUIRE).execute(leaseKey(target).addString(owner).addUUID(runId).addDouble(seconds(ttl)))
                .map(rows -> rows.size() == 1);
    }

    /** False if the lease is no longer this run's (it expired and another replica took it). */
    public Uni<Boolean> renew(SyncTarget target, String owner, UUID runId, Duration ttl) {
        return pool.preparedQuery(RENEW).execute(leaseKey(target).addString(owner).addDouble(seconds(ttl)).addUUID(runId))
                .map(rows -> rows.rowCount() == 1);
    }

    public Uni<Void> release(SyncTarget target, String owner, UUID runId) {
        return pool.preparedQuery(RELEASE).execute(leaseKey(target).addString(owner).addUUID(runId)).replaceWithVoid();
    }

    /** The run holding an unexpired lease on the resource, if any. */
    public Uni<Optional<UUID>> holder(SyncTarget target) {
        return pool.preparedQuery(HOLDER).execute(leaseKey(target))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getUUID("run_id")));
    }

    /** Marks the resource's other runs that are still "running" as abandoned; call while holding its lease. */
    public Uni<Void> abandonOthers(SyncTarget target, UUID runId) {
        return pool.preparedQuery(ABANDON).execute(leaseKey(target).addUUID(runId)).replaceWithVoid();
    }

    public Uni<Void> startRun(UUID id, SyncTarget target, String mode, String trigger, String owner) {
        return pool.preparedQuery(START_RUN).execute(Tuple.of(id, target.source(), target.resource(), target.parent(), mode, trigger)
                .addString(owner)).replaceWithVoid();
    }

    public Uni<Void> progress(UUID id, CallStats stats) {
        return pool.preparedQuery(PROGRESS).execute(counters(id, stats)).replaceWithVoid();
    }

    public Uni<Void> endRun(UUID id, CallStats stats, String status, String error) {
        return pool.preparedQuery(END_RUN).execute(counters(id, stats).addString(status).addString(error)).replaceWithVoid();
    }

    public Uni<Optional<SyncRun>> run(UUID id) {
        return pool.preparedQuery("SELECT " + RUN_COLUMNS + " FROM sync_runs WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(run(rows.iterator().next())));
    }

    /** Newest first; {@code source} null for every source. */
    public Uni<List<SyncRun>> runs(String source, String resource, int limit) {
        return pool.preparedQuery("SELECT " + RUN_COLUMNS + """
                 FROM sync_runs WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR resource = $2)
                ORDER BY started_at DESC, id LIMIT $3""").execute(Tuple.of(source, resource, limit)).map(rows -> {
            List<SyncRun> runs = new ArrayList<>();
            rows.forEach(row -> runs.add(run(row)));
            return runs;
        });
    }

    public Uni<AuthState> authState(String source, String seed) {
        return pool.preparedQuery(AUTH_STATE).execute(Tuple.of(source, hash(seed))).map(rows -> {
            if (rows.size() == 0) {
                return new AuthState(Optional.empty(), 0, Optional.empty());
            }
            Row row = rows.iterator().next();
            return new AuthState(Optional.ofNullable(row.getString("refresh_token")), row.getLong("refresh_version"),
                    row.getBoolean("needs_reauthorization") ? Optional.of(row.getString("reason")) : Optional.empty());
        });
    }

    /** Saves a rotated refresh token unless a newer version is stored already (another replica's later rotation). */
    public Uni<Void> saveRefreshToken(String source, String seed, String refreshToken, long version) {
        return pool.preparedQuery(SAVE_REFRESH_TOKEN).execute(Tuple.of(source, hash(seed), refreshToken, version)).replaceWithVoid();
    }

    public Uni<Void> refuse(String source, String seed, String reason) {
        return pool.preparedQuery(REFUSE).execute(Tuple.of(source, hash(seed), reason)).replaceWithVoid();
    }

    /** Sources whose provider refused the grant, and why. */
    public Uni<java.util.Map<String, String>> refusedSources() {
        return pool.query(REFUSED_SOURCES).execute().map(rows -> {
            java.util.Map<String, String> refused = new java.util.HashMap<>();
            rows.forEach(row -> refused.put(row.getString("source"), row.getString("reason")));
            return refused;
        });
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

    public Uni<Void> forgetEndedSweeps() {
        return pool.query(FORGET_ENDED_SWEEPS).execute().replaceWithVoid();
    }

    public Uni<Void> forgetSweep(UUID runId) {
        return pool.preparedQuery(FORGET_SWEEP).execute(Tuple.of(runId)).replaceWithVoid();
    }

    /** Ids of live records the sweep {@code runId}, begun at {@code began}, did not see. */
    public Uni<List<String>> unseen(SyncTarget target, UUID runId, Instant began) {
        return pool.preparedQuery(UNSEEN).execute(Tuple.of(target.source(), target.resource(), runId, time(began))).map(rows -> {
            List<String> ids = new ArrayList<>();
            rows.forEach(row -> ids.add(row.getString("id")));
            return ids;
        });
    }

    /** Ids of live children of the walked parents (and of deleted ones) that the nested sweep {@code runId} did not see. */
    public Uni<List<String>> unseenNested(SyncTarget target, UUID runId, Instant began, List<String> walkedParents,
            String parentResource, boolean topLevelParent) {
        return pool.preparedQuery(UNSEEN_NESTED).execute(Tuple.of(target.source(), target.resource(), runId, time(began))
                .addArrayOfString(walkedParents.toArray(String[]::new)).addString(parentResource).addBoolean(topLevelParent))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    rows.forEach(row -> ids.add(row.getString("id")));
                    return ids;
                });
    }

    /** How far a nested resource's walks got: parents with a checkpoint, those whose last walk completed, the oldest save. */
    public record ParentCheckpoints(long parents, long completed, Instant oldestSavedAt) {
    }

    public Uni<ParentCheckpoints> parentCheckpoints(SyncTarget target) {
        return pool.preparedQuery(PARENT_CHECKPOINTS).execute(Tuple.of(target.source(), target.resource())).map(rows -> {
            Row row = rows.iterator().next();
            return new ParentCheckpoints(row.getLong("parents"), row.getLong("completed"), instant(row, "oldest"));
        });
    }

    /** A live record of a parent resource, its data as JSON text. */
    public record ParentRecord(String id, Instant updatedAt, String data) {
    }

    public Uni<Long> liveNested(SyncTarget target, List<String> walkedParents, String parentResource, boolean topLevelParent) {
        return pool.preparedQuery(LIVE_NESTED).execute(Tuple.of(target.source(), target.resource(),
                walkedParents.toArray(String[]::new), parentResource).addBoolean(topLevelParent))
                .map(rows -> rows.iterator().next().getLong("live"));
    }

    public Uni<Void> forgetParentCheckpoints(SyncTarget target, List<String> walkedParents) {
        return pool.preparedQuery(FORGET_PARENT_CHECKPOINTS)
                .execute(Tuple.of(target.source(), target.resource(), walkedParents.toArray(String[]::new))).replaceWithVoid();
    }

    /**
     * Up to {@code limit} live records of {@code resource} by id: after
     * {@code after} (or from it, when {@code inclusive}), and before
     * {@code before} unless that is null.
     */
    public Uni<List<ParentRecord>> parents(String source, String resource, String after, boolean inclusive, String before, int limit) {
        return pool.preparedQuery(PARENTS).execute(Tuple.of(source, resource, after, limit).addBoolean(inclusive).addString(before))
                .map(rows -> {
            List<ParentRecord> parents = new ArrayList<>();
            rows.forEach(row -> parents.add(new ParentRecord(row.getString("id"), instant(row, "updated_at"), row.getString("data"))));
            return parents;
        });
    }

    /** id -> SHA-256 content hash of the local copy, for those of {@code ids} that have a live one. */
    public Uni<java.util.Map<String, byte[]>> hashes(SyncTarget target, List<String> ids) {
        return pool.preparedQuery(HASHES).execute(Tuple.of(target.source(), target.resource(), ids.toArray(String[]::new)))
                .map(rows -> {
                    java.util.Map<String, byte[]> hashes = new java.util.HashMap<>();
                    rows.forEach(row -> hashes.put(row.getString("id"), row.getBuffer("content_hash").getBytes()));
                    return hashes;
                });
    }

    public Uni<Long> live(SyncTarget target) {
        return pool.preparedQuery(LIVE).execute(Tuple.of(target.source(), target.resource()))
                .map(rows -> rows.iterator().next().getLong("live"));
    }

    /** The seed is a secret: only its hash is stored, to notice that it changed. */
    private static String hash(String seed) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SyncRun run(Row row) {
        return new SyncRun(row.getUUID("id"), row.getString("source"), row.getString("resource"), row.getString("parent"),
                row.getString("mode"), row.getString("trigger"), row.getString("status"), row.getString("owner"),
                instant(row, "started_at"), Optional.ofNullable(instant(row, "ended_at")), row.getLong("calls"),
                row.getLong("pages"), row.getLong("records"), row.getLong("retries"), row.getLong("rate_limit_waits"),
                row.getLong("waited_ms"), Optional.ofNullable(row.getString("error")));
    }

    private static Tuple counters(UUID id, CallStats stats) {
        return Tuple.of(id, stats.calls(), stats.pages(), stats.records(), stats.retries(), stats.rateLimitWaits())
                .addLong(stats.waitedMillis());
    }

    /** Leases and runs are a resource's: one run walks every parent of a nested resource. */
    private static Tuple leaseKey(SyncTarget target) {
        return Tuple.of(target.source(), target.resource(), "");
    }

    private static Tuple key(SyncTarget target) {
        return Tuple.of(target.source(), target.resource(), target.parent());
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    /** As PostgreSQL's timestamptz parameters take it; null stays null. */
    static OffsetDateTime time(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }
}
