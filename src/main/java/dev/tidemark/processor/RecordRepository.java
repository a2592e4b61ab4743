package dev.tidemark.processor;

import dev.tidemark.change.Connection;
import dev.tidemark.change.ContentHash;
import dev.tidemark.change.StoredState;
import dev.tidemark.change.Timestamps;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * All SQL on the records table: the locked batch apply and the reads. The
 * invariants live in the statements, so they are kept together here.
 */
@ApplicationScoped
public class RecordRepository {

    /**
     * Locks the batch's existing rows and reads them, in one statement. Rows
     * are locked as the sort emits them, in the same key order in every
     * processor, so two batches that overlap wait for each other instead of
     * deadlocking. A record with no row yet is created by {@link #CREATE}.
     */
    static final String LOCK_AND_LOAD = """
            SELECT r.source, r.connection, r.resource, r.id, r.updated_at, r.deleted, r.data::text AS data, r.content_hash
            FROM records r JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(source, resource, id, connection)
                 ON r.source = t.source AND r.connection = t.connection AND r.resource = t.resource AND r.id = t.id
            ORDER BY r.source, r.connection, r.resource, r.id
            FOR UPDATE OF r""";

    /**
     * Creates the rows of records the batch saw first, with their state, in
     * key order (two processors creating the same records wait in one order).
     * A row another transaction created since the batch's lock is not
     * overwritten: the batch is applied again, and then locks and reads it.
     */
    static final String CREATE = """
            INSERT INTO records (source, connection, resource, id, updated_at, deleted, data, content_hash, applied_at)
            SELECT t.source, t.connection, t.resource, t.id, t.updated_at, t.deleted, t.data::jsonb, t.hash, now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[], $6::text[], $7::bytea[], $8::text[])
                 AS t(source, resource, id, updated_at, deleted, data, hash, connection)
            ORDER BY t.source, t.connection, t.resource, t.id
            ON CONFLICT (source, connection, resource, id) DO NOTHING""";

    static final String WRITE = """
            UPDATE records AS r
            SET updated_at = t.updated_at, deleted = t.deleted, data = t.data::jsonb, content_hash = t.hash, applied_at = now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[], $6::text[], $7::bytea[], $8::text[])
                 AS t(source, resource, id, updated_at, deleted, data, hash, connection)
            WHERE r.source = t.source AND r.connection = t.connection AND r.resource = t.resource AND r.id = t.id""";

    public static final String FIND = """
            SELECT source, connection, resource, id, updated_at, deleted, data::text AS data, content_hash
            FROM records
            WHERE source = $1 AND resource = $2 AND id = $3 AND connection = $4 AND updated_at IS NOT NULL""";

    /**
     * A page of a resource's records in (updated_at, id) order: from
     * {@code $3} (inclusive, if given), after the keyset ({@code $4}, {@code $5})
     * if given. Deleted records are listed too (a reader keeping a copy needs
     * the deletes); rows that never held a state are not.
     */
    static final String PAGE = """
            SELECT source, connection, resource, id, updated_at, deleted, data::text AS data, content_hash
            FROM records
            WHERE source = $1 AND connection = $7 AND resource = $2 AND updated_at IS NOT NULL
              AND ($3::timestamptz IS NULL OR updated_at >= $3)
              AND ($4::timestamptz IS NULL OR (updated_at, id) > ($4, $5::text))
            ORDER BY updated_at, id
            LIMIT $6""";

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

    /**
     * The batch's rows that exist, locked in one stable order inside the
     * caller's transaction: {@code existing} their keys, {@code states} their
     * states (absent for a row that holds none).
     */
    public record Locked(Set<RecordKey> existing, Map<RecordKey, StoredState> states) {
    }

    /** Another transaction created one of the batch's records after the batch locked its rows: apply the batch again. */
    public static final class CreatedMeanwhile extends RuntimeException {
        CreatedMeanwhile(long created, int asked) {
            super("another processor created " + (asked - created) + " of " + asked + " new records at the same time");
        }
    }

    public Uni<Locked> lockAndLoad(SqlConnection conn, List<RecordKey> keys) {
        return conn.preparedQuery(LOCK_AND_LOAD).execute(keyArrays(keys)).map(rows -> {
            Set<RecordKey> existing = new HashSet<>();
            Map<RecordKey, StoredState> states = new HashMap<>();
            for (Row row : rows) {
                RecordKey key = key(row);
                existing.add(key);
                StoredState state = state(row);
                if (state != null) {
                    states.put(key, state);
                }
            }
            return new Locked(existing, states);
        });
    }

    /**
     * Writes the new states: an update of each locked row, one insert for the
     * records that had none. Fails with {@link CreatedMeanwhile} (the
     * transaction must roll back) if one of those was created meanwhile.
     */
    public Uni<Void> write(SqlConnection conn, Map<RecordKey, StoredState> changed, Set<RecordKey> existing) {
        Map<RecordKey, StoredState> updates = new HashMap<>();
        Map<RecordKey, StoredState> creates = new HashMap<>();
        changed.forEach((key, state) -> (existing.contains(key) ? updates : creates).put(key, state));
        Uni<Void> writes = updates.isEmpty() ? Uni.createFrom().voidItem()
                : conn.preparedQuery(WRITE).execute(stateArrays(updates)).replaceWithVoid();
        if (creates.isEmpty()) {
            return writes;
        }
        return writes.chain(() -> conn.preparedQuery(CREATE).execute(stateArrays(creates))).invoke(rows -> {
            if (rows.rowCount() < creates.size()) {
                throw new CreatedMeanwhile(rows.rowCount(), creates.size());
            }
        }).replaceWithVoid();
    }

    /** Parallel arrays of keys and states, for the unnest of WRITE and CREATE. */
    private static Tuple stateArrays(Map<RecordKey, StoredState> changed) {
        {
            int n = changed.size();
            String[] sources = new String[n];
            String[] connections = new String[n];
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
                connections[i] = key.connection();
                resources[i] = key.resource();
                ids[i] = key.id();
                updatedAts[i] = Timestamps.utc(state.updatedAt());
                deleted[i] = state.deleted();
                data[i] = state.data() == null ? null : state.data().toString();
                hashes[i] = io.vertx.core.buffer.Buffer.buffer(state.hash().bytes());
                i++;
            }
            return Tuple.tuple().addArrayOfString(sources).addArrayOfString(resources).addArrayOfString(ids)
                    .addArrayOfOffsetDateTime(updatedAts).addArrayOfBoolean(deleted).addArrayOfString(data)
                    .addValue(hashes).addArrayOfString(connections);
        }
    }

    public Uni<Optional<StoredRecord>> find(RecordKey key) {
        return pool.preparedQuery(FIND).execute(Tuple.of(key.source(), key.resource(), key.id(), key.connection()))
                .map(rows -> rows.size() == 0 ? Optional.empty()
                        : Optional.of(new StoredRecord(key, state(rows.iterator().next()))));
    }

    /** Up to {@code limit} records of a resource from {@code since} (may be null) after the keyset ({@code afterAt}, {@code afterId}) (may be null). */
    public Uni<List<StoredRecord>> page(Connection connection, String resource, Instant since, Instant afterAt, String afterId, int limit) {
        Tuple args = Tuple.of(connection.source(), resource, Timestamps.utc(since), Timestamps.utc(afterAt), afterId, limit)
                .addString(connection.id());
        return pool.preparedQuery(PAGE).execute(args).map(rows -> {
            List<StoredRecord> page = new ArrayList<>();
            for (Row row : rows) {
                page.add(new StoredRecord(key(row), state(row)));
            }
            return page;
        });
    }

    private static Tuple keyArrays(Collection<RecordKey> keys) {
        return Tuple.of(
                keys.stream().map(RecordKey::source).toArray(String[]::new),
                keys.stream().map(RecordKey::resource).toArray(String[]::new),
                keys.stream().map(RecordKey::id).toArray(String[]::new),
                keys.stream().map(RecordKey::connection).toArray(String[]::new));
    }

    private static RecordKey key(Row row) {
        return new RecordKey(row.getString("source"), row.getString("connection"), row.getString("resource"), row.getString("id"));
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
