package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionLimits;
import dev.tidemark.connections.ConnectionState;
import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.connections.ConnectionVariables;
import dev.tidemark.connections.StoredConnection;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves the {@link Account} a run or refetch calls as. An implicit
 * connection is its source's configuration; another is read from the
 * connections table, its credentials opened, and refused unless it is
 * active: a paused connection, or one that needs re-authorization, makes no
 * call.
 */
@ApplicationScoped
public class Accounts {

    /** A connection that cannot be called as now: gone, paused, or waiting for new credentials. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private final TidemarkConfig config;
    private final ConnectionStore connections;

    public Accounts(TidemarkConfig config, ConnectionStore connections) {
        this.config = config;
        this.connections = connections;
    }

    /** The account of {@code connection}; fails with {@link Unavailable} when it cannot be called as. */
    Uni<Account> of(Connection connection) {
        TidemarkConfig.Source source = config.sources().get(connection.source());
        if (source == null || source.api().isEmpty()) {
            return Uni.createFrom().failure(new Unavailable("source " + connection.source() + " has no api"));
        }
        TidemarkConfig.ProviderApi api = source.api().get();
        if (connection.isImplicit()) {
            if (source.connections().isPresent()) {
                return Uni.createFrom().failure(new Unavailable("source " + connection.source()
                        + " serves connections created through the API; it has no account of its own"));
            }
            return Uni.createFrom().item(account(connection, api, Map.of(), api.auth(), 0, null,
                    api.auth().map(OAuth2Session::seed).orElse(""), ConnectionLimits.NONE, Instant.EPOCH));
        }
        return connections.find(connection).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().failure(new Unavailable("connection " + connection + " does not exist"));
            }
            StoredConnection stored = found.get();
            if (stored.state() != ConnectionState.ACTIVE) {
                return Uni.createFrom().failure(new Unavailable("connection " + connection + " is " + stored.state().configName()
                        + (stored.stateReason() == null ? "" : " (" + stored.stateReason() + ")")));
            }
            if (api.auth().isEmpty()) {
                return Uni.createFrom().item(account(connection, api, stored.variables(), Optional.empty(), stored.credentialsVersion(),
                        stored.credentialsChangedAt(), "", stored.rateLimit(), stored.updatedAt()));
            }
            return connections.credentials(connection).map(credentials -> {
                TidemarkConfig.Auth auth = ProviderAuth.withCredentials(api.auth().get(),
                        credentials.map(ConnectionStore.Credentials::fields).orElse(Map.of()));
                return account(connection, api, stored.variables(), Optional.of(auth),
                        credentials.map(ConnectionStore.Credentials::version).orElse(stored.credentialsVersion()),
                        stored.credentialsChangedAt(), stored.uid() + "/" + stored.credentialsChangedAt(), stored.rateLimit(),
                        stored.updatedAt());
            });
        });
    }

    private static Account account(Connection connection, TidemarkConfig.ProviderApi api, Map<String, String> variables,
            Optional<TidemarkConfig.Auth> auth, long version, Instant changedAt, String grantSeed, ConnectionLimits own, Instant asOf) {
        String base = ConnectionVariables.fill(api.baseUrl(), variables);
        return new Account(connection, URI.create(base), variables, auth, version, changedAt, grantSeed,
                ProviderOrigins.of(base, api.allowedOrigins().orElse(List.of())), CallLimits.of(api, own), asOf);
    }
}
