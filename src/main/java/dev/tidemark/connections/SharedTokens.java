package dev.tidemark.connections;

import dev.tidemark.change.Connection;
import dev.tidemark.secrets.SecretBox;
import dev.tidemark.secrets.SecretsException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * What the replicas share of a connection's OAuth2 grant beyond its refresh
 * token: a lock, so that one replica at a time renews the grant, and the
 * access token it got (V15), sealed like every stored secret, so that the
 * others take it instead of renewing again. Without a key
 * ({@code tidemark.secrets.key}) no token is stored and each replica keeps
 * its own; the lock holds all the same. A PostgreSQL advisory lock, held by a
 * transaction for as long as the renewal takes: the database every replica
 * already has, and a lock that goes with a replica that dies.
 */
@ApplicationScoped
public class SharedTokens {

    private static final Logger LOG = Logger.getLogger(SharedTokens.class);

    static final String READ = """
            SELECT key_id, token, renew_at, expires_at FROM oauth_tokens
            WHERE source = $1 AND connection = $2 AND grant_hash = $3 AND expires_at > now()""";

    static final String SAVE = """
            INSERT INTO oauth_tokens AS t (source, connection, grant_hash, key_id, token, renew_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (source, connection) DO UPDATE SET grant_hash = EXCLUDED.grant_hash, key_id = EXCLUDED.key_id,
                token = EXCLUDED.token, renew_at = EXCLUDED.renew_at, expires_at = EXCLUDED.expires_at, updated_at = now()""";

    /** An access token as the replicas share it: when to renew it, and when it expires. Never shown. */
    public record Shared(String accessToken, Instant renewAt, Instant expiresAt) {
        @Override
        public String toString() {
            return "Shared[renewAt " + renewAt + ", expiresAt " + expiresAt + "]";
        }
    }

    private final Pool pool;
    private final SecretBox box;

    public SharedTokens(Pool pool, SecretBox box) {
        this.pool = pool;
        this.box = box;
    }

    /**
     * Runs {@code work} while this replica holds the connection's grant lock, waiting at most {@code wait} for a
     * renewal under way elsewhere to end (then the call fails, and is retried like any failed call).
     */
    public <T> Uni<T> exclusively(Connection connection, Duration wait, Supplier<Uni<T>> work) {
        return pool.withTransaction(db -> db.preparedQuery("SELECT set_config('lock_timeout', $1, true)")
                .execute(Tuple.of(Math.max(1, wait.toMillis()) + "ms"))
                .chain(() -> db.preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                        .execute(Tuple.of("tidemark/oauth/" + connection.source() + "/" + connection.id())))
                .chain(() -> Uni.createFrom().deferred(work::get)));
    }

    /** The access token another replica got for this grant, if one is stored, readable, and not expired. */
    public Uni<Optional<Shared>> read(Connection connection, String grant) {
        if (!box.canSeal()) {
            return Uni.createFrom().item(Optional.empty());
        }
        return pool.preparedQuery(READ).execute(Tuple.of(connection.source(), connection.id(), grant)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            try {
                byte[] token = box.open(new SecretBox.Sealed(row.getString("key_id"), row.getBuffer("token").getBytes()),
                        context(connection, grant));
                return Optional.of(new Shared(new String(token, StandardCharsets.UTF_8), row.getOffsetDateTime("renew_at").toInstant(),
                        row.getOffsetDateTime("expires_at").toInstant()));
            } catch (SecretsException e) {
                // Sealed under a key no longer configured (a rotation): renewed, not an outage.
                LOG.debugf("the shared access token of %s cannot be opened: %s", connection, e.getMessage());
                return Optional.empty();
            }
        });
    }

    /** Stores the access token this replica got, for the others; nothing without a key. */
    public Uni<Void> save(Connection connection, String grant, Shared token) {
        if (!box.canSeal()) {
            return Uni.createFrom().voidItem();
        }
        SecretBox.Sealed sealed = box.seal(token.accessToken().getBytes(StandardCharsets.UTF_8), context(connection, grant));
        return pool.preparedQuery(SAVE).execute(Tuple.of(connection.source(), connection.id(), grant, sealed.keyId(),
                        io.vertx.core.buffer.Buffer.buffer(sealed.box()), token.renewAt().atOffset(ZoneOffset.UTC))
                .addOffsetDateTime(token.expiresAt().atOffset(ZoneOffset.UTC))).replaceWithVoid();
    }

    private static String context(Connection connection, String grant) {
        return SecretBox.context("oauth_tokens", connection.source(), connection.id(), grant, "token");
    }
}
