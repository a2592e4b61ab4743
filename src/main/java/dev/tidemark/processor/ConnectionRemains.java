package dev.tidemark.processor;

import dev.tidemark.change.Connection;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * What a deleted connection leaves in the records table. Deleted without a
 * purge, its rows go at once (no event: nothing is told). Deleted with a
 * purge, its rows get deletes through Kafka like any change, so subscribers
 * see them go; this removes the tombstones once they are applied (every half
 * minute, in each processor), and then forgets the purge. Until its rows are
 * gone, a connection of the same id cannot be created again: its first
 * changes would meet the old tombstones and be taken for stale.
 */
@ApplicationScoped
public class ConnectionRemains {

    private static final Logger LOG = Logger.getLogger(ConnectionRemains.class);
    static final Duration EVERY = Duration.ofSeconds(30);
    /** Tombstones removed per statement: short transactions on a table the processor writes. */
    static final int BATCH = 5_000;

    /** A purge's deletes are applied within this; rows still live after it (a page in flight) go without an event. */
    static final Duration SETTLED = Duration.ofMinutes(10);

    static final String PENDING = """
            SELECT source, connection, deleted_at < now() - make_interval(secs => $1) AS settled
            FROM connection_purges ORDER BY deleted_at LIMIT 100""";
    /** Tombstones only ($4 false), or every row once the purge has settled ($4 true). */
    static final String REMOVE = """
            DELETE FROM records WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM records WHERE source = $1 AND connection = $2 AND (deleted OR $4) LIMIT $3))""";
    static final String DONE = """
            DELETE FROM connection_purges p WHERE source = $1 AND connection = $2
              AND NOT EXISTS (SELECT 1 FROM records r WHERE r.source = $1 AND r.connection = $2)""";

    private final Pool pool;
    private final Vertx vertx;
    private final TidemarkConfig config;
    private final AtomicBoolean running = new AtomicBoolean();
    private long timer = -1;

    public ConnectionRemains(Pool pool, Vertx vertx, TidemarkConfig config) {
        this.pool = pool;
        this.vertx = vertx;
        this.config = config;
    }

    void start(@Observes StartupEvent started) {
        if (Roles.PROCESSOR.runsIn(config)) {
            timer = vertx.setPeriodic(EVERY.toMillis(), id -> sweep().subscribe().with(ignored -> { },
                    failure -> LOG.debugf("removing deleted connections' tombstones failed, trying again: %s", failure.toString())));
        }
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Every record row of the connection, removed now, without an event. */
    public Uni<Long> removeAll(Connection connection) {
        return pool.preparedQuery("DELETE FROM records WHERE source = $1 AND connection = $2")
                .execute(Tuple.of(connection.source(), connection.id())).map(rows -> (long) rows.rowCount());
    }

    /** Remembers a purged connection, whose tombstones {@link #sweep} removes once every delete is applied. */
    public Uni<Void> purging(Connection connection) {
        return pool.preparedQuery("INSERT INTO connection_purges (source, connection) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .execute(Tuple.of(connection.source(), connection.id())).replaceWithVoid();
    }

    /** Of {@code ids}, the connections of the source being purged: their deletes are still to be applied. */
    public Uni<java.util.Set<String>> purgingAmong(String source, java.util.Collection<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(java.util.Set.of());
        }
        return pool.preparedQuery("SELECT connection FROM connection_purges WHERE source = $1 AND connection = ANY($2::text[])")
                .execute(Tuple.of(source, ids.toArray(String[]::new))).map(rows -> {
                    java.util.Set<String> purging = new java.util.HashSet<>();
                    rows.forEach(row -> purging.add(row.getString("connection")));
                    return purging;
                });
    }

    /** True while the connection's id still has rows in the records table (a deleted connection's, not yet removed). */
    public Uni<Boolean> remains(Connection connection) {
        return pool.preparedQuery("SELECT 1 FROM records WHERE source = $1 AND connection = $2 LIMIT 1")
                .execute(Tuple.of(connection.source(), connection.id())).map(rows -> rows.size() > 0);
    }

    /** One round: the tombstones of each purged connection, a batch at a time, and the purges that are done. */
    public Uni<Void> sweep() {
        if (!running.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery(PENDING).execute(Tuple.of((double) SETTLED.toSeconds())).chain(rows -> {
            Uni<Void> all = Uni.createFrom().voidItem();
            for (var row : rows) {
                Tuple key = Tuple.of(row.getString("source"), row.getString("connection"));
                boolean settled = row.getBoolean("settled");
                all = all.chain(() -> remove(key, settled)).chain(() -> pool.preparedQuery(DONE).execute(key)).replaceWithVoid();
            }
            return all;
        }).eventually(() -> running.set(false));
    }

    private Uni<Void> remove(Tuple key, boolean settled) {
        return pool.preparedQuery(REMOVE).execute(Tuple.of(key.getString(0), key.getString(1), BATCH, settled))
                .chain(removed -> removed.rowCount() == BATCH ? remove(key, settled) : Uni.createFrom().voidItem());
    }
}
