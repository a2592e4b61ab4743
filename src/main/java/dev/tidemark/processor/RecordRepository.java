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
     * Locks one record's row, creating an empty one if the record was never
     * seen. ON CONFLICT DO UPDATE locks the existing row even though its WHERE
     * is false and nothing is written, so one statement per key, sent in key
     * order, takes every lock of the batch in that order.
     */
    static final String LOCK = """
            INSERT INTO records (source, resource, id) VALUES ($1, $2, $3)
            ON CONFLICT (source, resource, id) DO UPDATE SET id = EXCLUDED.id WHERE false""";

    static final String LOAD = """
            SELECT source, resource, id, updated_at, deleted, data::text AS data, content_hash
            FROM records
            WHERE (source, resource, id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))""";

    static final String WRITE = """
            UPDATE records
            SET updated_at = $4, deleted = $5, data = CAST($6 AS text)::jsonb, content_hash = $7, applied_at = now()
            WHERE source = $1 AND resource = $2 AND id = $3""";

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

    /** Locks every key, in key order, inside the caller's transaction, and returns their current states. */
    public Uni<Map<RecordKey, StoredState>> lockAndLoad(SqlConnection conn, List<RecordKey> sortedKeys) {
        List<Tuple> locks = sortedKeys.stream().map(k -> Tuple.of(k.source(), k.resource(), k.id())).toList();
        return conn.preparedQuery(LOCK).executeBatch(locks)
                .chain(() -> conn.preparedQuery(LOAD).execute(keyArrays(sortedKeys)))
                .map(rows -> {
                    Map<RecordKey, StoredState> states = new HashMap<>();
                    for (Row row : rows) {
                        states.put(new RecordKey(row.getString("source"), row.getString("resource"), row.getString("id")), state(row));
                    }
                    return states;
                });
    }

    public Uni<Void> write(SqlConnection conn, Map<RecordKey, StoredState> changed, Collection<RecordKey> allKeys) {
        Uni<Void> writes = Uni.createFrom().voidItem();
        if (!changed.isEmpty()) {
            List<Tuple> rows = new ArrayList<>();
            changed.forEach((key, state) -> rows.add(Tuple.tuple()
                    .addString(key.source()).addString(key.resource()).addString(key.id())
                    .addOffsetDateTime(OffsetDateTime.ofInstant(state.updatedAt(), ZoneOffset.UTC))
                    .addBoolean(state.deleted())
                    .addString(state.data() == null ? null : state.data().toString())
                    .addBuffer(Buffer.buffer(state.hash().bytes()))));
            writes = conn.preparedQuery(WRITE).executeBatch(rows).replaceWithVoid();
        }
        return writes.chain(() -> conn.preparedQuery(DROP_EMPTY).execute(keyArrays(allKeys))).replaceWithVoid();
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
