package dev.tidemark.processor;

import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.connections.ConnectionStore;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the connection each change of a batch belongs to: the one holding its
 * routing key (a webhook routed by pointer or header), or the one it names,
 * which must still exist (a change of a connection deleted a moment ago —
 * a page in flight, a webhook its receiver had cached — is not applied, or it
 * would bring back what a purge removed). Lookups are kept a few seconds (a
 * miss for one) and made in one query per source and batch.
 */
@ApplicationScoped
public class AccountRouter {

    static final Duration FOUND_FOR = Duration.ofSeconds(5);
    static final Duration MISSED_FOR = Duration.ofSeconds(1);
    static final int MAX_ENTRIES = 10_000;

    /** A change whose account no connection of its source is: it waits in the dead-letter topic for a redrive. */
    public static final class UnknownConnection extends RuntimeException {
        UnknownConnection(String source) {
            super("no connection of source " + source + " holds the change's routing key; create it (routingKeys) and redrive",
                    null, false, false);
        }
    }

    /** A change of a connection that no longer exists: kept in the dead-letter topic, never redriven. */
    public static final class DeletedConnection extends RuntimeException {
        DeletedConnection(dev.tidemark.change.Connection connection) {
            super("connection " + connection + " was deleted; its change is kept here and not applied", null, false, false);
        }
    }

    private record Key(String source, String value, boolean routingKey) {
    }

    private record Entry(Optional<String> connection, long until) {
    }

    private final ConnectionStore connections;
    private final ConnectionRemains remains;
    private final Map<Key, Entry> found = new ConcurrentHashMap<>();
    private final Map<Key, Entry> missed = new ConcurrentHashMap<>();

    public AccountRouter(ConnectionStore connections, ConnectionRemains remains) {
        this.connections = connections;
        this.remains = remains;
    }

    /**
     * For each change, in order: itself (for an implicit connection, or a connection that exists), the change of
     * its connection when one holds its routing key, or empty when no connection is its. Fails (to be tried again)
     * when PostgreSQL cannot be read.
     */
    Uni<List<Optional<ChangeEnvelope>>> route(List<ChangeEnvelope> changes) {
        long now = System.nanoTime();
        Map<Key, Optional<String>> known = new HashMap<>();
        Map<String, Set<Key>> unknownBySource = new HashMap<>();
        for (ChangeEnvelope change : changes) {
            Key key = key(change);
            if (key == null || known.containsKey(key)) {
                continue;
            }
            Entry cached = Optional.ofNullable(found.get(key)).orElse(missed.get(key));
            if (cached != null && cached.until() - now > 0) {
                known.put(key, cached.connection());
            } else {
                unknownBySource.computeIfAbsent(change.source(), s -> new LinkedHashSet<>()).add(key);
            }
        }
        Uni<Void> lookups = Uni.createFrom().voidItem();
        for (var entry : unknownBySource.entrySet()) {
            lookups = lookups.chain(() -> lookup(entry.getKey(), entry.getValue(), now).invoke(known::putAll)).replaceWithVoid();
        }
        return lookups.map(ignored -> {
            List<Optional<ChangeEnvelope>> routed = new ArrayList<>(changes.size());
            for (ChangeEnvelope change : changes) {
                Key key = key(change);
                routed.add(key == null ? Optional.of(change)
                        : known.getOrDefault(key, Optional.empty()).map(id -> change.unrouted() ? change.withConnection(id) : change));
            }
            return routed;
        });
    }

    /** What a change is looked up by: its routing key, its connection's id, or nothing for an implicit connection's. */
    private static Key key(ChangeEnvelope change) {
        if (change.unrouted()) {
            return new Key(change.source(), change.routingKey(), true);
        }
        return change.connection().isEmpty() ? null : new Key(change.source(), change.connection(), false);
    }

    private Uni<Map<Key, Optional<String>>> lookup(String source, Set<Key> keys, long now) {
        List<String> routingKeys = keys.stream().filter(Key::routingKey).map(Key::value).toList();
        List<String> ids = keys.stream().filter(k -> !k.routingKey()).map(Key::value).toList();
        // A connection being purged is gone from the table, but its purge's deletes must still be applied.
        return connections.byRoutingKeys(source, routingKeys).chain(routes -> connections.existing(source, ids)
                .chain(existing -> remains.purgingAmong(source, ids).map(purging -> {
                    Set<String> all = new java.util.HashSet<>(existing);
                    all.addAll(purging);
                    return all;
                })).map(existing -> {
            Map<Key, Optional<String>> result = new HashMap<>();
            for (Key key : keys) {
                Optional<String> connection = key.routingKey() ? Optional.ofNullable(routes.get(key.value()))
                        : Optional.of(key.value()).filter(existing::contains);
                result.put(key, connection);
                Map<Key, Entry> cache = connection.isPresent() ? found : missed;
                if (cache.size() >= MAX_ENTRIES) {
                    cache.clear();
                }
                (connection.isPresent() ? missed : found).remove(key);
                cache.put(key, new Entry(connection, now + (connection.isPresent() ? FOUND_FOR : MISSED_FOR).toNanos()));
            }
            return result;
        }));
    }
}
