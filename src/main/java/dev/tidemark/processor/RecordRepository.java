package dev.tidemark.processor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.RecordKey;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * All SQL on the records table: the locked batch apply and the reads. The
 * invariants live in the statements, so they are kept together here.
 */
@ApplicationScoped
public class RecordRepository {

    /**
     * Locks every row of the batch, creating an empty one for a record never
     * seen, in one statement. ON CONFLICT DO UPDATE locks each existing row even
     * though its WHERE is false and nothing is written, and waits for a row
     * another transaction is inserting; the rows are taken in the ORDER BY's
     * order, the same in every processor, so two batches that overlap wait for
     * each other instead of deadlocking.
     */
    static final String LOCK = """
            INSERT INTO records (source, resource, id)
            SELECT t.source, t.resource, t.id FROM unnest($1::text[], $2::text[], $3::text[]) AS t(source, resource, id)
            ORDER BY t.source, t.resource, t.id
            ON CONFLICT (source, resource, id) DO UPDATE SET id = EXCLUDED.id WHERE false""";

    static final String LOAD = """
            SELECT source, resource, id, updated_at, deleted, data::text AS data, content_hash
            FROM records
            WHERE (source, resource, id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))""";

    static final String WRITE = """
            UPDATE records AS r
            SET updated_at = t.updated_at, deleted = t.deleted, data = t.data::jsonb, content_hash = t.hash, applied_at = now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[], $6::text[], $7::bytea[])
                 AS t(source, resource, id, updated_at, deleted, data, hash)
            WHERE r.source = t.source AND r.resource = t.resource AND r.id = t.id""";

    /** Rows created only to be locked, whose changes were all dropped, hold no state: remove them. */
    static final String DROP_EMPTY = """
            DELETE FROM records
            WHERE updated_at IS NULL
              AND (source, resource, id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))""";

    static final String FIND = """
            SELECT source, resource, id, updated_at, deleted, data::text AS data, content_hash
            FROM records
            WHERE source = $1 AND resource = $2 AND id = $3 AND updated_at IS NOT NULL""";

    /** A stored record as the read API returns it. */
    public record StoredRecord(RecordKey key, StoredState state) {
    }

    private final Pool pool;
    private final ObjectMapper json;

    public RecordRepository(Pool pool, ObjectMapper json) {
        this.pool = pool;
        this.json = json;
    }

    public Pool pool() {
        return pool;
    }

    /** Locks every key, in one stable order, inside the caller's transaction, and returns their current states. */
    public Uni<Map<RecordKey, StoredState>> lockAndLoad(SqlConnection conn, List<RecordKey> keys) {
        Tuple arrays = keyArrays(keys);
        return conn.preparedQuery(LOCK).execute(arrays)
                .chain(() -> conn.preparedQuery(LOAD).execute(arrays))
                .map(rows -> {
                    Map<RecordKey, StoredState> states = new HashMap<>();
                    for (Row row : rows) {
                        states.put(new RecordKey(row.getString("source"), row.getString("resource"), row.getString("id")), state(row));
                    }
                    return states;
                });
    }

    /**
     * Writes the new states and removes the empty rows {@link #lockAndLoad}
     * created for records whose changes were all dropped ({@code unused}).
     */
    public Uni<Void> write(SqlConnection conn, Map<RecordKey, StoredState> changed, Collection<RecordKey> unused) {
        Uni<Void> writes = Uni.createFrom().voidItem();
        if (!changed.isEmpty()) {
            int n = changed.size();
            String[] sources = new String[n];
            String[] resources = new String[n];
            String[] ids = new String[n];
            OffsetDateTime[] updatedAts = new OffsetDateTime[n];
            Boolean[] deleted = new Boolean[n];
            String[] data = new String[n];
            io.vertx.core.buffer.Buffer[] hashes = new io.vertx.core.buffer.Buffer[n];
            int i = 0;
            for (Map.Entry<RecordKey, StoredState> entry : changed.entrySet()) {
                RecordKey key = entry.getKey();
                StoredState state = entry.getValue();
                sources[i] = key.source();
                resources[i] = key.resource();
                ids[i] = key.id();
                updatedAts[i] = OffsetDateTime.ofInstant(state.updatedAt(), ZoneOffset.UTC);
                deleted[i] = state.deleted();
                data[i] = state.data() == null ? null : state.data().toString();
                hashes[i] = io.vertx.core.buffer.Buffer.buffer(state.hash().bytes());
                i++;
            }
            Tuple rows = Tuple.tuple().addArrayOfString(sources).addArrayOfString(resources).addArrayOfString(ids)
                    .addArrayOfOffsetDateTime(updatedAts).addArrayOfBoolean(deleted).addArrayOfString(data)
                    .addValue(hashes);
            writes = conn.preparedQuery(WRITE).execute(rows).replaceWithVoid();
        }
        if (unused.isEmpty()) {
            return writes;
        }
        return writes.chain(() -> conn.preparedQuery(DROP_EMPTY).execute(keyArrays(unused))).replaceWithVoid();
    }

    public Uni<Optional<StoredRecord>> find(RecordKey key) {
        return pool.preparedQuery(FIND).execute(Tuple.of(key.source(), key.resource(), key.id()))
                .map(rows -> rows.size() == 0 ? Optional.empty()
                        : Optional.of(new StoredRecord(key, state(rows.iterator().next()))));
    }

    private static Tuple keyArrays(Collection<RecordKey> keys) {
        return Tuple.of(
                keys.stream().map(RecordKey::source).toArray(String[]::new),
                keys.stream().map(RecordKey::resource).toArray(String[]::new),
                keys.stream().map(RecordKey::id).toArray(String[]::new));
    }

    private StoredState state(Row row) {
        OffsetDateTime updatedAt = row.getOffsetDateTime("updated_at");
        if (updatedAt == null) {
            return null;
        }
        Instant at = updatedAt.toInstant();
        String data = row.getString("data");
        Buffer hash = row.getBuffer("content_hash");
        return new StoredState(at, row.getBoolean("deleted"), data == null ? null : parse(data),
                hash == null ? null : ContentHash.fromBytes(hash.getBytes()));
    }

    private JsonNode parse(String data) {
        try {
            return json.readTree(data);
        } catch (IOException e) {
            throw new UncheckedIOException("records.data is not JSON", e);
        }
    }
}
