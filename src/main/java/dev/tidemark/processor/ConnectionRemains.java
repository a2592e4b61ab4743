package dev.tidemark.processor;

import dev.tidemark.change.Connection;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * What deleted connections leave in the records table ({@code connection_purges}, V13), removed by each
 * processor every half minute, a batch at a time in key order (one pass over a connection's rows per round,
 * never a statement over all of them). Without a purge, every row goes (no event: nothing is told). With one,
 * a tombstone goes once its delete is applied, and so does a row that a page in flight brought after the purge
 * began; a row still waiting for its delete stays until it comes (after {@link #LOST} it is taken as lost and
 * goes too). A purge is done, and the id free again, once no row is left and the caches that may still have let
 * a straggler through have expired.
 */
@ApplicationScoped
public class ConnectionRemains {

    private static final Logger LOG = Logger.getLogger(ConnectionRemains.class);
    static final Duration EVERY = Duration.ofSeconds(30);
    static final int BATCH = 2_000;
    /** Longer than any cache that may still name the connection (receivers' and processors', 5 s). */
    static final Duration QUIET = Duration.ofMinutes(1);
    /** A purge's delete that has not come by then was lost (a Kafka outage longer than its retention). */
    static final Duration LOST = Duration.ofDays(7);

    /** Deletions whose connection is gone (a DELETE cut short leaves it; its rows are not touched until it is). */
    static final String PENDING = """
            SELECT source, connection, purge, deleted_at FROM connection_purges p
            WHERE NOT EXISTS (SELECT 1 FROM connections c WHERE c.source = p.source AND c.id = p.connection)
            ORDER BY deleted_at LIMIT 100""";
    static final String KEYS = """
            SELECT resource, id FROM records WHERE source = $1 AND connection = $2 AND (resource, id) > ($3, $4)
            ORDER BY resource, id LIMIT $5""";
    /** Of the keys read ($3, $4), the rows to remove: all ($5), or tombstones and rows applied since the purge began ($6). */
    static final String REMOVE = """
            DELETE FROM records r USING unnest($3::text[], $4::text[]) AS k(resource, id)
            WHERE r.source = $1 AND r.connection = $2 AND r.resource = k.resource AND r.id = k.id
              AND ($5 OR r.deleted OR r.applied_at >= $6)""";
    static final String DONE = """
            DELETE FROM connection_purges p WHERE source = $1 AND connection = $2 AND deleted_at < now() - make_interval(secs => $3)
              AND NOT EXISTS (SELECT 1 FROM records r WHERE r.source = $1 AND r.connection = $2)
              AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.source = $1 AND c.id = $2)""";

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
                    failure -> LOG.debugf("removing deleted connections' records failed, trying again: %s", failure.toString())));
        }
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Records that the connection was deleted, with a purge or not: its rows are the sweep's to remove. */
    public Uni<Void> deleted(Connection connection, boolean purge) {
        return pool.preparedQuery("""
                        INSERT INTO connection_purges (source, connection, purge) VALUES ($1, $2, $3)
                        ON CONFLICT (source, connection) DO UPDATE SET purge = connection_purges.purge AND EXCLUDED.purge""")
                .execute(Tuple.of(connection.source(), connection.id(), purge)).replaceWithVoid();
    }

    /** What a deleted connection of an id has left. */
    public enum Left {
        /** Nothing: the id is free. */
        NOTHING,
        /** Its deletion is under way (rows, or the caches that may name it, not yet gone). */
        DELETING,
        /** Rows with no deletion recorded: a straggler that came after one was done; {@link #deleted} gives them one. */
        STRAGGLERS
    }

    static final String LEFT = """
            SELECT EXISTS (SELECT 1 FROM connection_purges WHERE source = $1 AND connection = $2) AS deleting,
                   EXISTS (SELECT 1 FROM records WHERE source = $1 AND connection = $2)
                       AND NOT EXISTS (SELECT 1 FROM connections WHERE source = $1 AND id = $2) AS rows""";

    /** What a deleted connection of this id has left, read on {@code db} (a create's own transaction), one statement. */
    public Uni<Left> left(SqlClient db, Connection connection) {
        return db.preparedQuery(LEFT).execute(Tuple.of(connection.source(), connection.id())).map(rows -> {
            Row row = rows.iterator().next();
            return row.getBoolean("deleting") ? Left.DELETING : row.getBoolean("rows") ? Left.STRAGGLERS : Left.NOTHING;
        });
    }

    /** Of {@code ids}, the connections of the source being purged: their purge's deletes are still to be applied. */
    public Uni<Set<String>> purgingAmong(String source, Collection<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        return pool.preparedQuery("SELECT connection FROM connection_purges WHERE source = $1 AND purge AND connection = ANY($2::text[])")
                .execute(Tuple.of(source, ids.toArray(String[]::new))).map(rows -> {
                    Set<String> purging = new HashSet<>();
                    rows.forEach(row -> purging.add(row.getString("connection")));
                    return purging;
                });
    }

    /** One round: each deleted connection's rows that may go, then the deletions that are done. */
    public Uni<Void> sweep() {
        if (!running.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        return pool.query(PENDING).execute().chain(rows -> {
            Uni<Void> all = Uni.createFrom().voidItem();
            for (Row row : rows) {
                String source = row.getString("source");
                String connection = row.getString("connection");
                Instant deletedAt = row.getOffsetDateTime("deleted_at").toInstant();
                boolean everything = !row.getBoolean("purge") || deletedAt.plus(LOST).isBefore(Instant.now());
                all = all.chain(() -> remove(source, connection, everything, deletedAt, "", ""))
                        .chain(() -> pool.preparedQuery(DONE).execute(Tuple.of(source, connection, (double) QUIET.toSeconds())))
                        .replaceWithVoid();
            }
            return all;
        }).eventually(() -> running.set(false));
    }

    private Uni<Void> remove(String source, String connection, boolean everything, Instant since, String afterResource, String afterId) {
        return pool.preparedQuery(KEYS).execute(Tuple.of(source, connection, afterResource, afterId, BATCH)).chain(keys -> {
            if (keys.size() == 0) {
                return Uni.createFrom().voidItem();
            }
            List<String> resources = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            keys.forEach(key -> {
                resources.add(key.getString("resource"));
                ids.add(key.getString("id"));
            });
            Tuple remove = Tuple.of(source, connection, resources.toArray(String[]::new), ids.toArray(String[]::new))
                    .addBoolean(everything).addOffsetDateTime(since.atOffset(ZoneOffset.UTC));
            String lastResource = resources.get(resources.size() - 1);
            String lastId = ids.get(ids.size() - 1);
            return pool.preparedQuery(REMOVE).execute(remove)
                    .chain(() -> keys.size() < BATCH ? Uni.createFrom().voidItem()
                            : remove(source, connection, everything, since, lastResource, lastId));
        });
    }
}
