package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import dev.tidemark.connections.SharedTokens;
import java.time.Duration;
import java.util.function.Supplier;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The OAuth2 state of a source's implicit connection (a connection created
 * through the API keeps its own in its sealed credentials and its state):
 * the latest rotated refresh token with its version,
 * or that the provider refused the grant and why. Keyed also by the hash of
 * the configured refresh token (the seed): when an operator configures a new
 * one, the stored state is void.
 */
@ApplicationScoped
public class AuthStateStore {

    static final String LOAD = """
            SELECT refresh_token, refresh_version, needs_reauthorization, reason FROM source_auth
            WHERE source = $1 AND connection = '' AND seed_hash = $2""";

    static final String SAVE_REFRESH_TOKEN = """
            INSERT INTO source_auth (source, seed_hash, refresh_token, refresh_version) VALUES ($1, $2, $3, $4)
            ON CONFLICT (source, connection) DO UPDATE SET seed_hash = EXCLUDED.seed_hash, refresh_token = EXCLUDED.refresh_token,
                refresh_version = EXCLUDED.refresh_version, needs_reauthorization = false, reason = NULL, updated_at = now()
            WHERE source_auth.seed_hash <> EXCLUDED.seed_hash OR source_auth.refresh_version < EXCLUDED.refresh_version""";

    static final String REFUSE = """
            INSERT INTO source_auth (source, seed_hash, needs_reauthorization, reason) VALUES ($1, $2, true, $3)
            ON CONFLICT (source, connection) DO UPDATE SET seed_hash = EXCLUDED.seed_hash, needs_reauthorization = true,
                reason = EXCLUDED.reason, updated_at = now()""";

    static final String REFUSED_SOURCES = "SELECT source, reason FROM source_auth WHERE connection = '' AND needs_reauthorization";

    /**
     * What is stored of a source's OAuth2 grant: the latest refresh token and its version (how many rotations
     * after the configured one; 0 when none is stored), and why the provider refused, if it did.
     */
    public record AuthState(Optional<String> refreshToken, long version, Optional<String> refused) {
    }

    private final Pool pool;
    private final SharedTokens shared;

    public AuthStateStore(Pool pool, SharedTokens shared) {
        this.pool = pool;
        this.shared = shared;
    }

    public Uni<AuthState> authState(String source, String seed) {
        return pool.preparedQuery(LOAD).execute(Tuple.of(source, hash(seed))).map(rows -> {
            if (rows.size() == 0) {
                return new AuthState(Optional.empty(), 0, Optional.empty());
            }
            Row row = rows.iterator().next();
            return new AuthState(Optional.ofNullable(row.getString("refresh_token")), row.getLong("refresh_version"),
                    row.getBoolean("needs_reauthorization") ? Optional.of(row.getString("reason")) : Optional.empty());
        });
    }

    /** Saves a rotated refresh token unless a newer version is stored already (another replica's later rotation). */
    public Uni<Void> saveRefreshToken(String source, String seed, String refreshToken, long version) {
        return pool.preparedQuery(SAVE_REFRESH_TOKEN).execute(Tuple.of(source, hash(seed), refreshToken, version)).replaceWithVoid();
    }

    public Uni<Void> refuse(String source, String seed, String reason) {
        return pool.preparedQuery(REFUSE).execute(Tuple.of(source, hash(seed), reason)).replaceWithVoid();
    }

    /** Sources whose provider refused the grant, and why. */
    public Uni<Map<String, String>> refusedSources() {
        return pool.query(REFUSED_SOURCES).execute().map(rows -> {
            Map<String, String> refused = new HashMap<>();
            rows.forEach(row -> refused.put(row.getString("source"), row.getString("reason")));
            return refused;
        });
    }

    /** The grant of a source's implicit connection, configured as {@code seed}. */
    GrantStore grants(String source, String seed) {
        return new GrantStore() {
            @Override
            public Uni<AuthState> load() {
                return authState(source, seed);
            }

            @Override
            public Uni<Void> saveRefreshToken(String token, long version) {
                return AuthStateStore.this.saveRefreshToken(source, seed, token, version);
            }

            @Override
            public Uni<Void> refuse(String reason, long version) {
                return AuthStateStore.this.refuse(source, seed, reason);
            }

            @Override
            public <T> Uni<T> exclusively(Duration hold, Duration wait, Supplier<Uni<T>> work) {
                return shared.exclusively(Connection.implicit(source), hold, wait, work);
            }

            @Override
            public Uni<Optional<SharedTokens.Shared>> sharedToken() {
                return shared.read(Connection.implicit(source), hash(seed));
            }

            @Override
            public Uni<Void> shareToken(SharedTokens.Shared token) {
                return shared.save(Connection.implicit(source), hash(seed), token);
            }

            @Override
            public Uni<java.time.Instant> now() {
                return shared.now();
            }
        };
    }

    /** The seed is a secret: only its hash is stored, to notice that it changed. */
    static String hash(String seed) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
