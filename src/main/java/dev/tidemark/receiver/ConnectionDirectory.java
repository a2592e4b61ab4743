package dev.tidemark.receiver;

import dev.tidemark.change.Connection;
import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.receiver.signature.SchemeKind;
import dev.tidemark.receiver.signature.SignatureScheme;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the receiver needs to know of a connection a webhook is posted to by
 * URL: whether it exists, and the scheme that verifies its deliveries (built
 * with its own secrets when it has them, else the source's). Read from
 * PostgreSQL and kept a few seconds, so a burst of deliveries costs one read;
 * a connection created, changed or deleted is seen within that time (a
 * provider retries a 404 or 401 it got meanwhile).
 */
@ApplicationScoped
public class ConnectionDirectory {

    /** How long a lookup is kept; a miss less, so a connection just created is found soon. */
    static final Duration FOUND_FOR = Duration.ofSeconds(5);
    static final Duration MISSED_FOR = Duration.ofSeconds(1);
    /** Entries kept at most; past it the cache starts over (a flood of made-up connection ids must not grow it). */
    static final int MAX_ENTRIES = 10_000;

    /** A connection that exists, with the scheme its deliveries are verified by. */
    public record Route(SignatureScheme scheme) {
    }

    private record Entry(Optional<Route> route, long until) {
    }

    private final ConnectionStore connections;
    /** Found and missed apart: a flood of made-up ids fills only the second, never evicting the connections in use. */
    private final Map<Connection, Entry> found = new ConcurrentHashMap<>();
    private final Map<Connection, Entry> missed = new ConcurrentHashMap<>();

    public ConnectionDirectory(ConnectionStore connections) {
        this.connections = connections;
    }

    /**
     * The route to {@code connection}, empty when it does not exist. Fails
     * when PostgreSQL cannot be read, or the connection's own secrets do not
     * open (no configured key seals them): the delivery is then answered 503,
     * to come again.
     */
    Uni<Optional<Route>> lookup(Connection connection, WebhookSources.WebhookSource source) {
        long now = System.nanoTime();
        Entry cached = found.get(connection);
        if (cached == null) {
            cached = missed.get(connection);
        }
        if (cached != null && cached.until() - now > 0) {
            return Uni.createFrom().item(cached.route());
        }
        return connections.find(connection).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<Route>empty());
            }
            if (!found.get().hasWebhookSecrets()) {
                return Uni.createFrom().item(Optional.of(new Route(source.scheme())));
            }
            return connections.webhookSecrets(connection).map(secrets -> Optional.of(new Route(
                    secrets.map(own -> SchemeKind.create(source.config(), own)).orElse(source.scheme()))));
        }).invoke(route -> {
            Map<Connection, Entry> cache = route.isPresent() ? found : missed;
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
            (route.isPresent() ? missed : found).remove(connection);
            cache.put(connection, new Entry(route, now + (route.isPresent() ? FOUND_FOR : MISSED_FOR).toNanos()));
        });
    }
}
