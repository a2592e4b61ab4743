package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import dev.tidemark.connections.ConnectionState;
import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.connections.SharedTokens;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.function.Supplier;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The OAuth2 grant of a connection created through the API, kept in its row:
 * the refresh token is a field of its sealed credentials, and its version is
 * the credentials' version, which moves with every rotation saved and every
 * credential the API sets. A rotation is saved only over the version it
 * replaced, so new credentials from the API are never overwritten by an
 * older grant's rotation. A refusal moves the connection to
 * needs-reauthorization (with its event).
 */
final class ConnectionGrants implements GrantStore {

    private final ConnectionStore connections;
    private final Connection connection;
    /** When the API set the credentials this grant started from: a refusal condemns those, never newer ones. */
    private final Instant credentialsChangedAt;
    private final SharedTokens shared;
    /** The hash of what the grant was set up from (the row's uid and when its credentials were set). */
    private final String grant;

    ConnectionGrants(ConnectionStore connections, Connection connection, Instant credentialsChangedAt, SharedTokens shared,
            String grantSeed) {
        this.connections = connections;
        this.connection = connection;
        this.credentialsChangedAt = credentialsChangedAt;
        this.shared = shared;
        this.grant = AuthStateStore.hash(grantSeed);
    }

    @Override
    public Uni<AuthStateStore.AuthState> load() {
        return connections.find(connection).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(new AuthStateStore.AuthState(Optional.empty(), 0,
                        Optional.of("the connection no longer exists")));
            }
            Optional<String> refused = found.get().state() == ConnectionState.NEEDS_REAUTHORIZATION
                    ? Optional.of(Optional.ofNullable(found.get().stateReason()).orElse("needs re-authorization")) : Optional.empty();
            return connections.credentials(connection).map(credentials -> new AuthStateStore.AuthState(
                    credentials.map(c -> c.fields().get("refreshToken")),
                    credentials.map(ConnectionStore.Credentials::version).orElse(0L), refused));
        });
    }

    @Override
    public Uni<Void> saveRefreshToken(String token, long version) {
        return connections.credentials(connection).chain(current -> {
            if (current.isEmpty() || current.get().version() >= version) {
                return Uni.createFrom().voidItem();   // another replica saved this rotation or a later one; or the API replaced it
            }
            Map<String, String> fields = new HashMap<>(current.get().fields());
            fields.put("refreshToken", token);
            return connections.replaceCredentials(connection, version - 1, fields).replaceWithVoid();
        });
    }

    @Override
    public Uni<Void> refuse(String reason, long version) {
        return connections.needsReauthorization(connection, credentialsChangedAt, reason).replaceWithVoid();
    }

    @Override
    public <T> Uni<T> exclusively(Duration hold, Duration wait, Supplier<Uni<T>> work) {
        return shared.exclusively(connection, hold, wait, work);
    }

    @Override
    public Uni<Optional<SharedTokens.Shared>> sharedToken() {
        return shared.read(connection, grant);
    }

    @Override
    public Uni<Void> shareToken(SharedTokens.Shared token) {
        return shared.save(connection, grant, token);
    }

    @Override
    public Uni<Instant> now() {
        return shared.now();
    }
}
