package dev.tidemark.connections;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.Connection;
import dev.tidemark.outbox.OutboxEntry;
import dev.tidemark.outbox.OutboxStore;
import dev.tidemark.secrets.SecretBox;
import dev.tidemark.secrets.SecretsException;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import org.hibernate.exception.ConstraintViolationException;

/**
 * The connections of every source, in PostgreSQL through Hibernate Reactive
 * with Panache, but for a create: plain statements on the reactive client,
 * sent together in one transaction with what the caller writes alongside
 * ({@link CreateSteps}). Seals credentials and webhook secrets before they are
 * stored (context: the row's uid and the field), opens them only for the
 * poller and the receiver that use them, and hands every other caller a
 * {@link StoredConnection}, which has no secret in it.
 */
@ApplicationScoped
public class ConnectionStore {

    static final String CREDENTIALS = "credentials";
    static final String WEBHOOK_SECRETS = "webhook-secrets";

    private static final TypeReference<Map<String, String>> CREDENTIAL_FIELDS = new TypeReference<>() {
    };
    private static final TypeReference<List<String>> SECRET_LIST = new TypeReference<>() {
    };

    private final SecretBox box;
    private final ObjectMapper json;
    private final Vertx vertx;
    private final Pool pool;

    public ConnectionStore(SecretBox box, ObjectMapper json, Vertx vertx, Pool pool) {
        this.pool = pool;
        this.vertx = vertx;
        this.box = box;
        this.json = json;
    }

    /** A page of a source's connections in id order, and the id to continue after when there are more. */
    public record Page(List<StoredConnection> connections, Optional<String> last) {
    }

    /** Credentials as opened for use, with the version a rotated refresh token must name to replace them. */
    public record Credentials(Map<String, String> fields, long version) {

        /** Never the values. */
        @Override
        public String toString() {
            return "Credentials" + fields.keySet() + "@" + version;
        }
    }

    /**
     * What a create writes besides the connection, in its transaction and on its connection to the database.
     * The store sends its own check and {@link #check} together, then the row, its routing keys and
     * {@link #write} together, then the commit; the client queues them on that one connection and sends each
     * as the one before it is parsed. One connection taken from the pool, where a create used to take one for
     * each of its ten statements and queue behind a thousand backfills' statements for each.
     */
    public interface CreateSteps {

        /** Why the id may not be taken now (a conflict the caller words), or empty; read on {@code db}. */
        Uni<Optional<ConnectionConflict>> check(SqlClient db);

        /** Written on {@code db} right after the row, in the order sent; a failure undoes the create. */
        Uni<Void> write(SqlClient db, StoredConnection created);
    }

    /** Nothing besides the connection. */
    public static final CreateSteps ALONE = new CreateSteps() {
        @Override
        public Uni<Optional<ConnectionConflict>> check(SqlClient db) {
            return Uni.createFrom().item(Optional.empty());
        }

        @Override
        public Uni<Void> write(SqlClient db, StoredConnection created) {
            return Uni.createFrom().voidItem();
        }
    };

    static final String TAKEN = """
            SELECT EXISTS (SELECT 1 FROM connections WHERE source = $1 AND id = $2) AS taken,
                   (SELECT routing_key FROM connection_routing_keys WHERE source = $1 AND routing_key = ANY($3::text[])
                    ORDER BY routing_key LIMIT 1) AS key""";
    /** JSON as text, parsed by PostgreSQL: the client would send a Java string for a jsonb parameter as a JSON string. */
    static final String INSERT = """
            INSERT INTO connections (uid, source, id, state, variables, metadata, schedule, rate_limit, credentials_key_id,
                credentials, credentials_changed_at, credentials_version, webhook_secrets_key_id, webhook_secrets, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb, $9, $10, $11, $12, $13, $14, $15, $15)""";
    static final String INSERT_KEYS = """
            INSERT INTO connection_routing_keys (source, routing_key, connection_uid) SELECT $1, k, $2 FROM unnest($3::text[]) AS k""";

    /** Stores a new connection and its routing keys in one transaction (see {@link #create(ConnectionSpec, CreateSteps)}). */
    public Uni<StoredConnection> create(ConnectionSpec spec) {
        return create(spec, ALONE);
    }

    /**
     * Stores a new connection, its routing keys and what {@code steps} write, all or nothing, in one transaction.
     *
     * @throws ConnectionConflict (in the Uni) when the id or a routing key is another connection's, or {@code steps} refuse
     * @throws SecretsException   (in the Uni) when there are secrets and no key to seal them with
     */
    public Uni<StoredConnection> create(ConnectionSpec spec, CreateSteps steps) {
        ConnectionRow row = new ConnectionRow();
        row.uid = UUID.randomUUID();
        row.source = spec.connection().source();
        row.connectionId = spec.connection().id();
        row.state = spec.state().configName();
        row.variables = new LinkedHashMap<>(spec.variables());
        row.metadata = spec.metadata();
        row.schedule = new LinkedHashMap<>(spec.schedule());
        row.rateLimit = spec.rateLimit().stored();
        Instant now = now();
        row.createdAt = now;
        row.updatedAt = now;
        try {
            spec.credentials().ifPresent(credentials -> sealCredentials(row, credentials, now));
            spec.webhookSecrets().ifPresent(secrets -> sealWebhookSecrets(row, secrets));
        } catch (SecretsException e) {
            return Uni.createFrom().failure(e);
        }
        List<String> keys = spec.routingKeys();
        StoredConnection created = view(row, keys);
        // Inserted in one order by every create and change: two of overlapping keys then wait for each other, never deadlock.
        String[] keyArray = keys.stream().sorted().toArray(String[]::new);
        return pool.withTransaction(db -> {
            // Given to the connection together: it sends them in this order without waiting for the pool in between.
            Uni<Row> taken = db.preparedQuery(TAKEN).execute(Tuple.of(row.source, row.connectionId, keyArray)).map(rows -> rows.iterator().next());
            return Uni.combine().all().unis(taken, steps.check(db)).asTuple().chain(checked -> {
                if (checked.getItem1().getBoolean("taken")) {
                    return Uni.createFrom().failure(new ConnectionConflict("id",
                            "connection '" + row.connectionId + "' of source '" + row.source + "' exists"));
                }
                if (checked.getItem2().isPresent()) {
                    return Uni.createFrom().failure(checked.getItem2().get());
                }
                String key = checked.getItem1().getString("key");
                if (key != null) {
                    return Uni.createFrom().failure(new ConnectionConflict("routingKeys",
                            "routing key '" + key + "' belongs to another connection of source '" + row.source + "'"));
                }
                // Sent in this order, applied in this order: the row before its keys and before what refers to it.
                List<Uni<Void>> writes = new ArrayList<>();
                writes.add(db.preparedQuery(INSERT).execute(insert(row)).replaceWithVoid());
                if (keyArray.length > 0) {
                    writes.add(db.preparedQuery(INSERT_KEYS).execute(Tuple.of(row.source, row.uid, keyArray)).replaceWithVoid());
                }
                writes.add(steps.write(db, created));
                return Uni.join().all(writes).andFailFast().replaceWith(created);
            });
        }).onFailure(ConnectionStore::uniqueViolation).transform(e -> new ConnectionConflict("id",
                "connection '" + row.connectionId + "' of source '" + row.source + "' or one of its routing keys exists"));
    }

    private Tuple insert(ConnectionRow row) {
        return Tuple.tuple(List.of(row.uid, row.source, row.connectionId, row.state)).addString(text(row.variables)).addString(row.metadata == null ? null
                : text(row.metadata)).addString(text(row.schedule)).addString(row.rateLimit == null ? null : text(row.rateLimit))
                .addString(row.credentialsKeyId).addValue(row.credentials == null ? null : io.vertx.core.buffer.Buffer.buffer(row.credentials))
                .addOffsetDateTime(row.credentialsChangedAt == null ? null : row.credentialsChangedAt.atOffset(ZoneOffset.UTC))
                .addLong(row.credentialsVersion).addString(row.webhookSecretsKeyId)
                .addValue(row.webhookSecrets == null ? null : io.vertx.core.buffer.Buffer.buffer(row.webhookSecrets))
                .addOffsetDateTime(row.createdAt.atOffset(ZoneOffset.UTC));
    }

    private String text(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of text and numbers, and parsed JSON, are always JSON", e);
        }
    }

    /** The connection, without secrets. */
    public Uni<Optional<StoredConnection>> find(Connection connection) {
        return safe(() -> Panache.withSession(() -> row(connection, LockModeType.NONE)
                .flatMap(row -> row == null ? Uni.createFrom().item(Optional.<StoredConnection>empty())
                        : routingKeys(row.uid).map(keys -> Optional.of(view(row, keys))))));
    }

    /** Up to {@code limit} connections of a source after the id {@code after} (from the start when empty), in id order. */
    public Uni<Page> list(String source, int limit, Optional<String> after) {
        return safe(() -> Panache.withSession(() -> ConnectionRow.<ConnectionRow>find("source = ?1 and connectionId > ?2", Sort.by("connectionId"),
                        source, after.orElse(""))
                .page(0, limit + 1).list()
                .flatMap(rows -> {
                    List<ConnectionRow> page = rows.subList(0, Math.min(limit, rows.size()));
                    List<UUID> uids = page.stream().map(row -> row.uid).toList();
                    return routingKeys(uids).map(keys -> {
                        List<StoredConnection> views = new ArrayList<>();
                        for (ConnectionRow row : page) {
                            views.add(view(row, keys.getOrDefault(row.uid, List.of())));
                        }
                        Optional<String> last = rows.size() > limit ? Optional.of(page.get(page.size() - 1).connectionId) : Optional.empty();
                        return new Page(views, last);
                    });
                })));
    }

    /** How many connections of the source are in each state (states with none are absent). */
    public Uni<Map<ConnectionState, Long>> countByState(String source) {
        return safe(() -> Panache.withSession(() -> Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select state, count(*) from ConnectionRow where source = ?1 group by state", Object[].class)
                .setParameter(1, source).getResultList())
                .map(rows -> {
                    Map<ConnectionState, Long> counts = new LinkedHashMap<>();
                    for (Object[] row : rows) {
                        counts.put(stateOf((String) row[0]), (Long) row[1]);
                    }
                    return counts;
                })));
    }

    /**
     * Applies a PATCH under the row's lock; empty when there is no such connection.
     *
     * @throws ConnectionConflict (in the Uni) when a new routing key is another connection's
     */
    public Uni<Optional<StoredConnection>> update(Connection connection, ConnectionChange change) {
        return safe(() -> Panache.withTransaction(() -> row(connection, LockModeType.PESSIMISTIC_WRITE).flatMap(row -> {
            if (row == null) {
                return Uni.createFrom().item(Optional.<StoredConnection>empty());
            }
            Instant now = now();
            try {
                change.credentials().ifPresent(credentials -> sealCredentials(row, credentials, now));
                change.webhookSecrets().ifPresent(secrets -> sealWebhookSecrets(row, secrets));
            } catch (SecretsException e) {
                return Uni.createFrom().failure(e);
            }
            change.variables().ifPresent(variables -> row.variables = new LinkedHashMap<>(variables));
            change.metadata().ifPresent(metadata -> row.metadata = metadata.isNull() ? null : metadata);
            change.schedule().ifPresent(schedule -> row.schedule = new LinkedHashMap<>(schedule));
            change.rateLimit().ifPresent(limits -> row.rateLimit = limits.stored());
            ConnectionState state = stateOf(row.state);
            if (change.credentials().isPresent() && state == ConnectionState.NEEDS_REAUTHORIZATION) {
                state = ConnectionState.ACTIVE;
                row.stateReason = null;
            }
            if (change.enabled().isPresent()) {
                boolean enabled = change.enabled().get();
                if (!enabled) {
                    state = ConnectionState.PAUSED;
                } else if (state == ConnectionState.PAUSED) {
                    state = ConnectionState.ACTIVE;
                }
            }
            row.state = state.configName();
            row.updatedAt = now;
            Uni<List<String>> keys = change.routingKeys().isPresent()
                    ? RoutingKeyRow.delete("connectionUid", row.uid)
                            .flatMap(ignored -> Panache.getSession().flatMap(session -> session.flush()))
                            .flatMap(ignored -> takenRoutingKeys(row.source, change.routingKeys().get(), row.uid))
                            .flatMap(ignored -> persistRoutingKeys(row.source, change.routingKeys().get(), row.uid))
                            .map(ignored -> change.routingKeys().get())
                    : routingKeys(row.uid);
            return keys.map(routing -> Optional.of(view(row, routing)));
        }))).onFailure(ConnectionStore::uniqueViolation).transform(e -> new ConnectionConflict("routingKeys",
                "a routing key of connection '" + connection.id() + "' is another connection's"));
    }

    /** Removes the connection and its routing keys; false when there was none. Its records are the caller's to purge. */
    public Uni<Boolean> delete(Connection connection) {
        // Its shared OAuth2 access token (SharedTokens) goes with it: a live credential is not kept for a connection gone.
        return safe(() -> Panache.withTransaction(() -> ConnectionRow.delete("source = ?1 and connectionId = ?2", connection.source(), connection.id())
                .call(() -> Panache.getSession().chain(session -> session.createNativeQuery(
                                "DELETE FROM oauth_tokens WHERE source = ?1 AND connection = ?2")
                        .setParameter(1, connection.source()).setParameter(2, connection.id()).executeUpdate()))
                .map(count -> count > 0)));
    }

    /** Of {@code routingKeys} of a source, those a connection holds, each with that connection's id: one query. */
    public Uni<Map<String, String>> byRoutingKeys(String source, Collection<String> routingKeys) {
        if (routingKeys.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return safe(() -> Panache.withSession(() -> Panache.getSession().flatMap(session -> session.createSelectionQuery(
                        "select r.key.routingKey, c.connectionId from RoutingKeyRow r, ConnectionRow c "
                                + "where r.connectionUid = c.uid and r.key.source = ?1 and r.key.routingKey in ?2", Object[].class)
                .setParameter(1, source).setParameter(2, List.copyOf(routingKeys)).getResultList())
                .map(rows -> {
                    Map<String, String> found = new LinkedHashMap<>();
                    rows.forEach(row -> found.put((String) row[0], (String) row[1]));
                    return found;
                })));
    }

    /** Of {@code ids}, those a connection of the source has: one query. */
    public Uni<Set<String>> existing(String source, Collection<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        return safe(() -> Panache.withSession(() -> Panache.getSession().flatMap(session -> session.createSelectionQuery(
                        "select connectionId from ConnectionRow where source = ?1 and connectionId in ?2", String.class)
                .setParameter(1, source).setParameter(2, List.copyOf(ids)).getResultList())
                .map(Set::copyOf)));
    }

    /** The connection holding {@code routingKey} in its source, if any. */
    public Uni<Optional<Connection>> byRoutingKey(String source, String routingKey) {
        return safe(() -> Panache.withSession(() -> RoutingKeyRow.<RoutingKeyRow>findById(new RoutingKeyRow.Key(source, routingKey))
                .flatMap(key -> key == null ? Uni.createFrom().item(Optional.<Connection>empty())
                        : ConnectionRow.<ConnectionRow>findById(key.connectionUid)
                                .map(row -> Optional.ofNullable(row).map(r -> new Connection(r.source, r.connectionId))))));
    }

    /**
     * The connection's credentials, opened; empty when it has none or does not exist.
     *
     * @throws SecretsException (in the Uni) when no configured key opens them
     */
    public Uni<Optional<Credentials>> credentials(Connection connection) {
        return safe(() -> Panache.withSession(() -> row(connection, LockModeType.NONE).map(row -> {
            if (row == null || row.credentials == null) {
                return Optional.empty();
            }
            byte[] plain = box.open(new SecretBox.Sealed(row.credentialsKeyId, row.credentials), context(row.uid, CREDENTIALS));
            return Optional.of(new Credentials(read(plain, CREDENTIAL_FIELDS), row.credentialsVersion));
        })));
    }

    /** The connection's own webhook secrets, opened; empty when it has none (the source's then apply). */
    public Uni<Optional<List<String>>> webhookSecrets(Connection connection) {
        return safe(() -> Panache.withSession(() -> row(connection, LockModeType.NONE).map(row -> {
            if (row == null || row.webhookSecrets == null) {
                return Optional.empty();
            }
            byte[] plain = box.open(new SecretBox.Sealed(row.webhookSecretsKeyId, row.webhookSecrets), context(row.uid, WEBHOOK_SECRETS));
            return Optional.of(read(plain, SECRET_LIST));
        })));
    }

    /**
     * Replaces the credentials that {@code version} named, as a token endpoint
     * that rotates refresh tokens requires, before the new ones are used.
     * False when they changed since (new credentials from the API win).
     */
    public Uni<Boolean> replaceCredentials(Connection connection, long version, Map<String, String> fields) {
        return safe(() -> Panache.withTransaction(() -> row(connection, LockModeType.PESSIMISTIC_WRITE).map(row -> {
            if (row == null || row.credentialsVersion != version) {
                return false;
            }
            Instant changedAt = row.credentialsChangedAt;
            sealCredentials(row, fields, now());
            row.credentialsChangedAt = changedAt;
            return true;
        })));
    }

    /**
     * Moves the connection to needs-reauthorization with a reason that names
     * no secret, and in the same transaction writes the
     * {@code tidemark.connection.needs-reauthorization} CloudEvent to the
     * outbox, so the relay publishes it on tidemark.events exactly when the
     * state changed. False (and no event) when it was gone, already needed
     * re-authorization, or got new credentials from the API since the ones
     * set at {@code credentialsChangedAt} failed (a newer credential is not
     * condemned by an old one's failure; a refresh token's rotations keep
     * that time, so a grant refused after rotating is still the one refused).
     */
    public Uni<Boolean> needsReauthorization(Connection connection, Instant credentialsChangedAt, String reason) {
        return safe(() -> Panache.withTransaction(() -> row(connection, LockModeType.PESSIMISTIC_WRITE).flatMap(row -> {
            if (row == null || !Objects.equals(row.credentialsChangedAt, credentialsChangedAt)
                    || stateOf(row.state) == ConnectionState.NEEDS_REAUTHORIZATION) {
                return Uni.createFrom().item(false);
            }
            Instant now = now();
            row.state = ConnectionState.NEEDS_REAUTHORIZATION.configName();
            row.stateReason = reason;
            row.updatedAt = now;
            OutboxEntry event = ConnectionEvents.needsReauthorization(row.uid, connection, String.valueOf(credentialsChangedAt), reason, now);
            return Panache.getSession().flatMap(session -> session.flush()
                    .chain(() -> session.createNativeQuery("INSERT INTO outbox (id, topic, aggregate_id, type, payload) "
                                    + "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING")
                            .setParameter(1, event.id()).setParameter(2, event.topic()).setParameter(3, event.key())
                            .setParameter(4, event.type()).setParameter(5, event.payload()).executeUpdate())
                    .chain(() -> session.createNativeQuery("SELECT pg_notify('" + OutboxStore.CHANNEL + "', '')").getSingleResult()))
                    .replaceWith(true);
        })));
    }

    /** How many sealed values each key id holds, for a rotation to see what is left under an old key. */
    public Uni<Map<String, Long>> sealedByKey() {
        return safe(() -> Panache.withSession(() -> Panache.getSession().flatMap(session -> session.createSelectionQuery(
                        "select credentialsKeyId, webhookSecretsKeyId from ConnectionRow", Object[].class).getResultList())
                .map(rows -> {
                    Map<String, Long> counts = new LinkedHashMap<>();
                    for (Object[] row : rows) {
                        for (Object keyId : row) {
                            if (keyId != null) {
                                counts.merge((String) keyId, 1L, Long::sum);
                            }
                        }
                    }
                    return counts;
                })));
    }

    /**
     * Seals again, under the current key, up to {@code limit} connections
     * with a value under another key; returns how many it sealed again. A
     * rotation calls it until it answers 0.
     */
    public Uni<Integer> resealBatch(int limit) {
        Optional<String> current = box.currentKeyId();
        if (current.isEmpty()) {
            return Uni.createFrom().failure(new SecretsException("tidemark.secrets.key is not set: there is no key to seal again under"));
        }
        String key = current.get();
        return safe(() -> Panache.withTransaction(() -> ConnectionRow.<ConnectionRow>find(
                        "(credentialsKeyId is not null and credentialsKeyId <> ?1) or (webhookSecretsKeyId is not null and webhookSecretsKeyId <> ?1)",
                        Sort.by("uid"), key)
                .withLock(LockModeType.PESSIMISTIC_WRITE).page(0, limit).list()
                .map(rows -> {
                    for (ConnectionRow row : rows) {
                        if (row.credentials != null && !key.equals(row.credentialsKeyId)) {
                            SecretBox.Sealed sealed = box.seal(box.open(new SecretBox.Sealed(row.credentialsKeyId, row.credentials),
                                    context(row.uid, CREDENTIALS)), context(row.uid, CREDENTIALS));
                            row.credentials = sealed.box();
                            row.credentialsKeyId = sealed.keyId();
                        }
                        if (row.webhookSecrets != null && !key.equals(row.webhookSecretsKeyId)) {
                            SecretBox.Sealed sealed = box.seal(box.open(new SecretBox.Sealed(row.webhookSecretsKeyId, row.webhookSecrets),
                                    context(row.uid, WEBHOOK_SECRETS)), context(row.uid, WEBHOOK_SECRETS));
                            row.webhookSecrets = sealed.box();
                            row.webhookSecretsKeyId = sealed.keyId();
                        }
                    }
                    return rows.size();
                })));
    }

    /**
     * Runs {@code work} on a new duplicated Vert.x context, flagged safe, which Hibernate Reactive needs: the
     * poller's timers and the Kafka consumers call from contexts that are not, and a session must never be
     * shared between two callers. (VertxContextSupport does the same, but refuses to be called on an event loop.)
     */
    private <T> Uni<T> safe(Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(ignored -> {
                try {
                    work.get().subscribe().with(emitter::complete, emitter::fail);
                } catch (RuntimeException e) {
                    emitter.fail(e);
                }
            });
        });
    }

    private static Uni<ConnectionRow> row(Connection connection, LockModeType lock) {
        return ConnectionRow.<ConnectionRow>find("source = ?1 and connectionId = ?2", connection.source(), connection.id())
                .withLock(lock).firstResult();
    }

    private static Uni<List<String>> routingKeys(UUID uid) {
        return RoutingKeyRow.<RoutingKeyRow>list("connectionUid = ?1", Sort.by("key.routingKey"), uid)
                .map(rows -> rows.stream().map(row -> row.key.routingKey()).toList());
    }

    private static Uni<Map<UUID, List<String>>> routingKeys(List<UUID> uids) {
        if (uids.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return RoutingKeyRow.<RoutingKeyRow>list("connectionUid in ?1", Sort.by("key.routingKey"), uids).map(rows -> {
            Map<UUID, List<String>> keys = new LinkedHashMap<>();
            for (RoutingKeyRow row : rows) {
                keys.computeIfAbsent(row.connectionUid, uid -> new ArrayList<>()).add(row.key.routingKey());
            }
            return keys;
        });
    }

    /** Fails with a conflict naming the first routing key another connection of the source holds. */
    private static Uni<Void> takenRoutingKeys(String source, List<String> keys, UUID uid) {
        if (keys.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return RoutingKeyRow.<RoutingKeyRow>list("key.source = ?1 and key.routingKey in ?2 and connectionUid <> ?3", source, keys, uid)
                .flatMap(taken -> taken.isEmpty() ? Uni.createFrom().voidItem()
                        : Uni.createFrom().failure(new ConnectionConflict("routingKeys",
                                "routing key '" + taken.get(0).key.routingKey() + "' belongs to another connection of source '" + source + "'")));
    }

    private static Uni<Void> persistRoutingKeys(String source, List<String> keys, UUID uid) {
        if (keys.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        // Sorted, as a create inserts them: a change and a create of overlapping keys wait for each other, never deadlock.
        return RoutingKeyRow.persist(keys.stream().sorted().map(key -> new RoutingKeyRow(source, key, uid)))
                .flatMap(ignored -> Panache.getSession().flatMap(session -> session.flush()));
    }

    private void sealCredentials(ConnectionRow row, Map<String, String> credentials, Instant now) {
        SecretBox.Sealed sealed = box.seal(write(credentials), context(row.uid, CREDENTIALS));
        row.credentials = sealed.box();
        row.credentialsKeyId = sealed.keyId();
        row.credentialsChangedAt = now;
        row.credentialsVersion++;
    }

    private void sealWebhookSecrets(ConnectionRow row, List<String> secrets) {
        if (secrets.isEmpty()) {
            row.webhookSecrets = null;
            row.webhookSecretsKeyId = null;
            return;
        }
        SecretBox.Sealed sealed = box.seal(write(secrets), context(row.uid, WEBHOOK_SECRETS));
        row.webhookSecrets = sealed.box();
        row.webhookSecretsKeyId = sealed.keyId();
    }

    static String context(UUID uid, String field) {
        return SecretBox.context("connections", uid.toString(), field);
    }

    private byte[] write(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map or list of text is always JSON", e);
        }
    }

    private <T> T read(byte[] plain, TypeReference<T> type) {
        try {
            return json.readValue(plain, type);
        } catch (IOException e) {
            // Opened, so authentic: only a defect of ours could have sealed something else. The message names no value.
            throw new SecretsException("a sealed connection value is not the JSON it was sealed as");
        }
    }

    private static StoredConnection view(ConnectionRow row, List<String> routingKeys) {
        return new StoredConnection(new Connection(row.source, row.connectionId), row.uid, stateOf(row.state), row.stateReason,
                row.variables == null ? Map.of() : Map.copyOf(row.variables), List.copyOf(routingKeys), row.metadata,
                row.schedule == null ? Map.of() : Map.copyOf(row.schedule), ConnectionLimits.of(row.rateLimit), row.credentials != null, row.credentialsChangedAt,
                row.credentialsVersion, row.webhookSecrets != null, row.createdAt, row.updatedAt);
    }

    static ConnectionState stateOf(String stored) {
        return ConnectionState.valueOf(stored.toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private static boolean uniqueViolation(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectionConflict) {
                return false;
            }
            if (cause instanceof ConstraintViolationException || (cause instanceof PgException pg && "23505".equals(pg.getSqlState()))
                    || (cause.getMessage() != null && cause.getMessage().contains("23505"))) {
                return true;
            }
        }
        return false;
    }
}
