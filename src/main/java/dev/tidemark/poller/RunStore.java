package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import static dev.tidemark.change.Timestamps.column;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.HashMap;
import java.util.UUID;

/** The sync_runs rows: one per run, started, brought up to date about once a second, and ended with its outcome. */
@ApplicationScoped
public class RunStore {

    /**
     * Runs of the resource still marked running when a new run holds its
     * lease: their replica stopped without ending them (the lease it held
     * expired), so they never will.
     */
    static final String ABANDON = """
            UPDATE sync_runs SET status = 'failed', ended_at = now(),
                error = 'abandoned: the replica running it stopped; a later run resumed from its checkpoint'
            WHERE source = $1 AND connection = $2 AND resource = $3 AND parent = $4 AND status = 'running' AND id <> $5""";

    static final String START = """
            INSERT INTO sync_runs (id, source, connection, resource, parent, mode, trigger, status, owner)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8)""";

    static final String PROGRESS = """
            UPDATE sync_runs SET calls = $2, pages = $3, records = $4, retries = $5, rate_limit_waits = $6, waited_ms = $7
            WHERE id = $1""";

    static final String END = """
            UPDATE sync_runs SET calls = $2, pages = $3, records = $4, retries = $5, rate_limit_waits = $6, waited_ms = $7,
                status = $8, error = $9, ended_at = now()
            WHERE id = $1""";

    static final String COLUMNS = """
            id, source, connection, resource, parent, mode, trigger, status, owner, started_at, ended_at,
            calls, pages, records, retries, rate_limit_waits, waited_ms, error""";

    private final Pool pool;

    public RunStore(Pool pool) {
        this.pool = pool;
    }

    /** Marks the resource's other runs that are still "running" as abandoned; call while holding its lease. */
    public Uni<Void> abandonOthers(SyncTarget target, UUID runId) {
        return pool.preparedQuery(ABANDON).execute(LeaseStore.key(target).addUUID(runId)).replaceWithVoid();
    }

    public Uni<Void> start(UUID id, SyncTarget target, SyncMode mode, String trigger, String owner) {
        return pool.preparedQuery(START).execute(Tuple.of(id, target.source(), target.connection().id(), target.resource(), target.parent(), mode.configName())
                .addString(trigger).addString(owner)).replaceWithVoid();
    }

    public Uni<Void> progress(UUID id, CallStats stats) {
        return pool.preparedQuery(PROGRESS).execute(counters(id, stats)).replaceWithVoid();
    }

    public Uni<Void> end(UUID id, CallStats stats, RunStatus status, String error) {
        return pool.preparedQuery(END).execute(counters(id, stats).addString(status.configName()).addString(error)).replaceWithVoid();
    }

    public Uni<Optional<SyncRun>> run(UUID id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM sync_runs WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(run(rows.iterator().next())));
    }

    /** Newest first; {@code source}, {@code connection} or {@code resource} null for every one. */
    public Uni<List<SyncRun>> runs(String source, String connection, String resource, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + """
                 FROM sync_runs WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR connection = $2)
                AND ($3::text IS NULL OR resource = $3)
                ORDER BY started_at DESC, id LIMIT $4""").execute(Tuple.of(source, connection, resource, limit)).map(rows -> {
            List<SyncRun> runs = new ArrayList<>();
            rows.forEach(row -> runs.add(run(row)));
            return runs;
        });
    }

    /** The newest run of each top-level resource of each of {@code connections} of a source, by connection. */
    public Uni<Map<String, List<SyncRun>>> latestRuns(String source, List<String> connections) {
        return pool.preparedQuery("SELECT DISTINCT ON (connection, resource) " + COLUMNS + """
                 FROM sync_runs WHERE source = $1 AND connection = ANY($2::text[]) AND parent = ''
                ORDER BY connection, resource, started_at DESC""").execute(Tuple.of(source, connections.toArray(String[]::new)))
                .map(rows -> {
                    Map<String, List<SyncRun>> latest = new HashMap<>();
                    rows.forEach(row -> latest.computeIfAbsent(row.getString("connection"), c -> new ArrayList<>()).add(run(row)));
                    return latest;
                });
    }

    private static SyncRun run(Row row) {
        return new SyncRun(row.getUUID("id"), row.getString("source"), row.getString("connection"), row.getString("resource"), row.getString("parent"),
                row.getString("mode"), row.getString("trigger"), row.getString("status"), row.getString("owner"),
                column(row, "started_at"), Optional.ofNullable(column(row, "ended_at")), row.getLong("calls"),
                row.getLong("pages"), row.getLong("records"), row.getLong("retries"), row.getLong("rate_limit_waits"),
                row.getLong("waited_ms"), Optional.ofNullable(row.getString("error")));
    }

    private static Tuple counters(UUID id, CallStats stats) {
        return Tuple.of(id, stats.calls(), stats.pages(), stats.records(), stats.retries(), stats.rateLimitWaits())
                .addLong(stats.waitedMillis());
    }
}
