package dev.tidemark.processor;

import dev.tidemark.change.Connection;
import dev.tidemark.change.Timestamps;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The poller's questions about the records table, in SQL. A live record is
 * one not deleted and with an updated_at (a row created only to hold a
 * refetch has none). Sweeps note the ids they saw in their own table,
 * {@code sweep_seen}, which the two unseen queries read beside the records.
 */
@ApplicationScoped
public class PgLocalCopy implements LocalCopy {

    static final String UNSEEN = """
            SELECT r.id FROM records r
            WHERE r.source = $1 AND r.connection = $5 AND r.resource = $2 AND NOT r.deleted AND r.updated_at IS NOT NULL
              AND r.applied_at < $4 AND r.updated_at < $4
              AND NOT EXISTS (SELECT 1 FROM sweep_seen s WHERE s.run_id = $3 AND s.id = r.id)
            ORDER BY r.id""";

    /** A deleted record that is listed again has changed: only live ones are compared. */
    static final String HASHES = """
            SELECT id, content_hash FROM records
            WHERE source = $1 AND connection = $4 AND resource = $2 AND id = ANY($3::text[]) AND NOT deleted AND updated_at IS NOT NULL""";

    /**
     * As UNSEEN, among the children of the parents walked ($5, their keys)
     * and of parents deleted locally ($6 the parent resource; $7 true when the
     * parent is a top-level resource, whose record id is the key with its
     * segment decoded).
     */
    static final String UNSEEN_UNDER = """
            SELECT r.id FROM records r
            WHERE r.source = $1 AND r.connection = $8 AND r.resource = $2 AND NOT r.deleted AND r.updated_at IS NOT NULL
              AND r.applied_at < $4 AND r.updated_at < $4
              AND NOT EXISTS (SELECT 1 FROM sweep_seen s WHERE s.run_id = $3 AND s.id = r.id)
              AND """ + sweptParent(5, 6, 7, 8) + """
            ORDER BY r.id""";

    /**
     * A nested record {@code r} whose parent (its id but the last segment) the
     * sweep walked (the parameter numbered {@code walked}: their keys) or is
     * deleted locally (parameter {@code parentResource}; parameter
     * {@code topLevel} true when the parent is a top-level record, whose id is
     * its key with the segment decoded). One text for the sweep's deletes and
     * the count they are measured against.
     */
    static String sweptParent(int walked, int parentResource, int topLevel, int connection) {
        String parentKey = "regexp_replace(r.id, '/[^/]*$', '')";
        return "(" + parentKey + " = ANY($" + walked + "::text[])\n"
                + "     OR EXISTS (SELECT 1 FROM records p WHERE p.source = $1 AND p.connection = $" + connection
                + " AND p.resource = $" + parentResource + " AND p.deleted\n"
                + "                AND p.id = CASE WHEN $" + topLevel + " THEN replace(replace(" + parentKey + ", '%2F', '/'), '%25', '%')\n"
                + "                                ELSE " + parentKey + " END))";
    }

    /** A page of live records, by id: after $3 (from it, if $5), before $6 if given. */
    static final String PAGE = """
            SELECT id, updated_at, data::text AS data FROM records
            WHERE source = $1 AND connection = $7 AND resource = $2 AND NOT deleted AND updated_at IS NOT NULL
              AND (id > $3 OR ($5 AND id = $3)) AND ($6::text IS NULL OR id < $6)
            ORDER BY id LIMIT $4""";

    static final String LIVE_UNDER = """
            SELECT count(*) AS live FROM records r
            WHERE r.source = $1 AND r.connection = $6 AND r.resource = $2 AND NOT r.deleted AND r.updated_at IS NOT NULL
              AND """ + sweptParent(3, 4, 5, 6);

    static final String LIVE = """
            SELECT count(*) AS live FROM records
            WHERE source = $1 AND connection = $3 AND resource = $2 AND NOT deleted AND updated_at IS NOT NULL""";

    private final Pool pool;

    public PgLocalCopy(Pool pool) {
        this.pool = pool;
    }

    @Override
    public Uni<Map<String, byte[]>> hashes(Connection connection, String resource, List<String> ids) {
        return pool.preparedQuery(HASHES).execute(Tuple.of(connection.source(), resource, ids.toArray(String[]::new), connection.id())).map(rows -> {
            Map<String, byte[]> hashes = new HashMap<>();
            rows.forEach(row -> hashes.put(row.getString("id"), row.getBuffer("content_hash").getBytes()));
            return hashes;
        });
    }

    @Override
    public Uni<Long> live(Connection connection, String resource) {
        return pool.preparedQuery(LIVE).execute(Tuple.of(connection.source(), resource, connection.id())).map(rows -> rows.iterator().next().getLong("live"));
    }

    @Override
    public Uni<List<LiveRecord>> page(Connection connection, String resource, String after, boolean inclusive, String before, int limit) {
        return pool.preparedQuery(PAGE).execute(Tuple.of(connection.source(), resource, after, limit).addBoolean(inclusive).addString(before)
                        .addString(connection.id()))
                .map(rows -> {
                    List<LiveRecord> page = new ArrayList<>();
                    rows.forEach(row -> page.add(new LiveRecord(row.getString("id"), Timestamps.column(row, "updated_at"), row.getString("data"))));
                    return page;
                });
    }

    @Override
    public Uni<Long> liveUnder(Connection connection, String resource, List<String> parentKeys, String parentResource,
            boolean topLevelParent) {
        return pool.preparedQuery(LIVE_UNDER).execute(Tuple.of(connection.source(), resource, parentKeys.toArray(String[]::new), parentResource)
                .addBoolean(topLevelParent).addString(connection.id())).map(rows -> rows.iterator().next().getLong("live"));
    }

    @Override
    public Uni<List<String>> unseen(Connection connection, String resource, UUID sweep, Instant began) {
        return pool.preparedQuery(UNSEEN).execute(Tuple.of(connection.source(), resource, sweep, Timestamps.utc(began))
                .addString(connection.id())).map(PgLocalCopy::ids);
    }

    @Override
    public Uni<List<String>> unseenUnder(Connection connection, String resource, UUID sweep, Instant began, List<String> parentKeys,
            String parentResource, boolean topLevelParent) {
        return pool.preparedQuery(UNSEEN_UNDER).execute(Tuple.of(connection.source(), resource, sweep, Timestamps.utc(began))
                .addArrayOfString(parentKeys.toArray(String[]::new)).addString(parentResource).addBoolean(topLevelParent)
                .addString(connection.id()))
                .map(PgLocalCopy::ids);
    }

    private static List<String> ids(RowSet<Row> rows) {
        List<String> ids = new ArrayList<>();
        rows.forEach(row -> ids.add(row.getString("id")));
        return ids;
    }
}
