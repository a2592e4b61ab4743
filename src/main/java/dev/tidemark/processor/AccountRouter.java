package dev.tidemark.processor;

import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Connection;
import dev.tidemark.connections.ConnectionStore;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves the routing key a webhook's change names its account by (routed
 * by pointer or header) to the connection that holds it. Lookups are kept a
 * few seconds (a miss for one), so a batch of one account's changes costs one
 * read and a connection created for a key is found soon after.
 */
@ApplicationScoped
public class AccountRouter {

    static final Duration FOUND_FOR = Duration.ofSeconds(5);
    static final Duration MISSED_FOR = Duration.ofSeconds(1);
    static final int MAX_ENTRIES = 10_000;

    /** A routing key no connection of its source holds: the change waits in the dead-letter topic for a redrive. */
    public static final class UnknownConnection extends RuntimeException {
        UnknownConnection(String source) {
            super("no connection of source " + source + " holds the change's routing key; create it (routingKeys) and redrive",
                    null, false, false);
        }
    }

    private record Key(String source, String routingKey) {
    }

    private record Entry(Optional<String> connection, long until) {
    }

    private final ConnectionStore connections;
    private final Map<Key, Entry> cache = new ConcurrentHashMap<>();

    public AccountRouter(ConnectionStore connections) {
        this.connections = connections;
    }

    /**
     * For each change, in order: itself when it is not waiting for a route, the change of its connection when one
     * holds its key, or empty when none does. Fails (to be tried again) when PostgreSQL cannot be read.
     */
    Uni<List<Optional<ChangeEnvelope>>> route(List<ChangeEnvelope> changes) {
        Map<Key, Uni<Optional<String>>> lookups = new LinkedHashMap<>();
        for (ChangeEnvelope change : changes) {
            if (change.unrouted()) {
                lookups.computeIfAbsent(new Key(change.source(), change.routingKey()), this::lookup);
            }
        }
        if (lookups.isEmpty()) {
            return Uni.createFrom().item(changes.stream().map(Optional::of).toList());
        }
        List<Key> keys = new ArrayList<>(lookups.keySet());
        return Uni.join().all(new ArrayList<>(lookups.values())).andFailFast().map(found -> {
            Map<Key, Optional<String>> resolved = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                resolved.put(keys.get(i), found.get(i));
            }
            List<Optional<ChangeEnvelope>> routed = new ArrayList<>(changes.size());
            for (ChangeEnvelope change : changes) {
                routed.add(change.unrouted()
                        ? resolved.get(new Key(change.source(), change.routingKey())).map(change::withConnection)
                        : Optional.of(change));
            }
            return routed;
        });
    }

    private Uni<Optional<String>> lookup(Key key) {
        long now = System.nanoTime();
        Entry cached = cache.get(key);
        if (cached != null && cached.until() - now > 0) {
            return Uni.createFrom().item(cached.connection());
        }
        return connections.byRoutingKey(key.source(), key.routingKey()).map(found -> found.map(Connection::id)).invoke(found -> {
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
            cache.put(key, new Entry(found, now + (found.isPresent() ? FOUND_FOR : MISSED_FOR).toNanos()));
        });
    }
}
