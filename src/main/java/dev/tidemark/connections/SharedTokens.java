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
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * What the replicas share of a connection's OAuth2 grant beyond its refresh
 * token: a claim, so that one replica at a time renews the grant, and the
 * access token it got (V15), sealed like every stored secret, so that the
 * others take it instead of renewing again. Without a key
 * ({@code tidemark.secrets.key}) no token is stored and each replica keeps
 * its own; the claim holds all the same. The claim is a row with an expiry
 * ({@code oauth_renewals}), not a lock held by a transaction: a renewal
 * waiting on a slow token endpoint holds no database connection, and a
 * replica that dies renewing leaves a claim that runs out by itself.
 */
@ApplicationScoped
public class SharedTokens {

    private static final Logger LOG = Logger.getLogger(SharedTokens.class);

    static final String READ = """
            SELECT key_id, token, renew_at, expires_at, obtained_at FROM oauth_tokens
            WHERE source = $1 AND connection = $2 AND grant_hash = $3 AND expires_at > now()""";

    /** Stored only while its connection exists (an implicit one always does): a renewal ending after a DELETE stores nothing. */
    static final String SAVE = """
            INSERT INTO oauth_tokens AS t (source, connection, grant_hash, key_id, token, renew_at, expires_at, obtained_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, now()
            WHERE $2 = '' OR EXISTS (SELECT 1 FROM connections c WHERE c.source = $1 AND c.id = $2 FOR KEY SHARE)
            ON CONFLICT (source, connection) DO UPDATE SET grant_hash = EXCLUDED.grant_hash, key_id = EXCLUDED.key_id,
                token = EXCLUDED.token, renew_at = EXCLUDED.renew_at, expires_at = EXCLUDED.expires_at, obtained_at = now(),
                updated_at = now()""";

    /**
     * An access token as the replicas share it: when to renew it, when it expires, and when it was stored (the
     * database's clock; null for one about to be stored). Never shown.
     */
    public record Shared(String accessToken, Instant renewAt, Instant expiresAt, Instant obtainedAt) {
        @Override
        public String toString() {
            return "Shared[renewAt " + renewAt + ", expiresAt " + expiresAt + "]";
        }
    }

    /** The database's clock now: what a token's obtainedAt is compared with. */
    public Uni<Instant> now() {
        return pool.query("SELECT now() AS now").execute().map(rows -> rows.iterator().next().getOffsetDateTime("now").toInstant());
    }

    private final Pool pool;
    private final SecretBox box;

    public SharedTokens(Pool pool, SecretBox box) {
        this.pool = pool;
        this.box = box;
    }

    static final String CLAIM = """
            INSERT INTO oauth_renewals AS r (source, connection, owner, until) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
            ON CONFLICT (source, connection) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until WHERE r.until < now()
            RETURNING owner""";

    static final String RELEASE = "DELETE FROM oauth_renewals WHERE source = $1 AND connection = $2 AND owner = $3";

    static final String EXTEND = """
            UPDATE oauth_renewals SET until = now() + make_interval(secs => $4) WHERE source = $1 AND connection = $2 AND owner = $3""";

    /** How often a renewal waiting for another replica's looks again, at most (a random share of it each time). */
    static final Duration LOOK_EVERY = Duration.ofMillis(400);

    /**
     * Runs {@code work} once this renewal holds the connection's claim, for at most {@code hold} (then another
     * replica may take it over); waits, holding nothing, at most {@code wait} for a renewal under way elsewhere to end
     * (then the call fails, and is retried like any failed call). The claim goes when the work ends, either way.
     */
    public <T> Uni<T> exclusively(Connection connection, Duration hold, Duration wait, Supplier<Uni<T>> work) {
        String owner = UUID.randomUUID().toString();
        long giveUpAt = System.nanoTime() + wait.toNanos();
        Tuple key = Tuple.of(connection.source(), connection.id(), owner);
        return claim(connection, owner, hold, giveUpAt).chain(() -> {
            // Extended every third of its time while the renewal goes on (a refused grant read again, a slow save):
            // it runs out only when this replica stops.
            io.smallrye.mutiny.subscription.Cancellable heartbeat = io.smallrye.mutiny.Multi.createFrom().ticks()
                    .startingAfter(hold.dividedBy(3)).every(hold.dividedBy(3))
                    .onItem().transformToUniAndConcatenate(tick -> pool.preparedQuery(EXTEND)
                            .execute(Tuple.of(connection.source(), connection.id(), owner).addDouble(hold.toMillis() / 1000.0))
                            .onFailure().recoverWithNull())
                    .subscribe().with(ignored -> { }, failure -> { });
            return Uni.createFrom().deferred(work::get).onTermination().invoke(heartbeat::cancel)
                    .eventually(() -> pool.preparedQuery(RELEASE).execute(key).onFailure().recoverWithNull());
        });
    }

    private Uni<Void> claim(Connection connection, String owner, Duration hold, long giveUpAt) {
        return pool.preparedQuery(CLAIM).execute(Tuple.of(connection.source(), connection.id(), owner).addDouble(hold.toMillis() / 1000.0))
                .chain(rows -> {
                    if (rows.size() == 1) {
                        return Uni.createFrom().voidItem();
                    }
                    if (System.nanoTime() > giveUpAt) {
                        return Uni.createFrom().failure(new IllegalStateException("another replica has been renewing the OAuth2 "
                                + "token of " + connection + " for longer than it may; trying again with the next call"));
                    }
                    Duration pause = Duration.ofMillis(50 + ThreadLocalRandom.current().nextLong(LOOK_EVERY.toMillis()));
                    return Uni.createFrom().voidItem().onItem().delayIt().by(pause).chain(() -> claim(connection, owner, hold, giveUpAt));
                });
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
                        row.getOffsetDateTime("expires_at").toInstant(), row.getOffsetDateTime("obtained_at").toInstant()));
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
