package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A provider that rotates its refresh token forgets the old one the moment it
 * hands out the new: the new one is the grant. It must survive the database
 * failing at that very moment, and two replicas renewing at once (a rolling
 * update) must never end with the source needing re-authorization.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class RefreshTokenRotationTests {

    @Inject
    ResourceSync sync;

    @Inject
    AuthStateStore store;

    @Inject
    Pool pool;

    @Inject
    Vertx vertx;

    @Inject
    TidemarkConfig config;

    ProviderSimulator provider;

    @BeforeEach
    void fresh() {
        provider = ProviderSimulatorResource.fresh();
        Instant t = Instant.parse("2026-03-01T00:00:00Z");
        for (int i = 0; i < 25; i++) {
            provider.put(String.format("r%03d", i), t.plusSeconds(i), i);
        }
        sql("DELETE FROM poll_checkpoints WHERE source IN ('simrotate', 'simreplicas')");
        sql("DELETE FROM source_auth WHERE source IN ('simrotate', 'simreplicas')");
        sql("DELETE FROM oauth_tokens WHERE source IN ('simrotate', 'simreplicas')");
    }

    @AfterEach
    void noInjectedFailures() {
        sql("DROP TRIGGER IF EXISTS tidemark_test_auth ON source_auth");
    }

    void sql(String statement) {
        pool.query(statement).execute().await().atMost(Duration.ofSeconds(10));
    }

    /** Every write of the source's auth row fails (or, with a delay, lands that much later) until the trigger is dropped. */
    void injectIntoAuthWrites(String source, String action) {
        sql("CREATE OR REPLACE FUNCTION tidemark_test_auth() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + action + "; RETURN NEW; END $$");
        sql("CREATE TRIGGER tidemark_test_auth BEFORE INSERT OR UPDATE ON source_auth FOR EACH ROW WHEN (NEW.source = '"
                + source + "') EXECUTE FUNCTION tidemark_test_auth()");
    }

    Optional<Row> stored(String source) {
        var rows = pool.preparedQuery("SELECT refresh_token, refresh_version, needs_reauthorization FROM source_auth WHERE source = $1")
                .execute(Tuple.of(source)).await().atMost(Duration.ofSeconds(10));
        return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next());
    }

    SyncRun run(String source) {
        Optional<SyncRun> run = sync.run(SyncTarget.of(source, "items"), SyncMode.FULL, "api").await().atMost(Duration.ofSeconds(90));
        assertThat(run).isPresent();
        return run.get();
    }

    @Test
    void aRotatedTokenTheDatabaseFailedToSaveIsSavedBeforeItsAccessTokenIsUsedAndNeverLost() {
        provider.oauth("tidemark", "s3cret", 60_000, "seed-rotate-token");
        injectIntoAuthWrites("simrotate", "RAISE EXCEPTION 'injected: the database fails at that moment'");

        SyncRun failed = run("simrotate");
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(provider.currentRefreshToken()).as("the provider rotated it").isNotEqualTo("seed-rotate-token");
        assertThat(provider.listCalls()).as("the access token is not used while its refresh token is unsaved").isZero();
        assertThat(stored("simrotate")).isEmpty();

        sql("DROP TRIGGER tidemark_test_auth ON source_auth");
        assertThat(run("simrotate").status()).isEqualTo("completed");
        Row row = stored("simrotate").orElseThrow();
        assertThat(row.getString("refresh_token")).isEqualTo(provider.currentRefreshToken());
        assertThat(row.getLong("refresh_version")).isEqualTo(1);

        // The next renewal presents the rotated token, not the configured one read back: no invalid_grant.
        provider.revokeAccessTokens();
        assertThat(run("simrotate").status()).isEqualTo("completed");
        row = stored("simrotate").orElseThrow();
        assertThat(row.getBoolean("needs_reauthorization")).isFalse();
        assertThat(row.getString("refresh_token")).isEqualTo(provider.currentRefreshToken());
        assertThat(row.getLong("refresh_version")).isEqualTo(2);
    }

    @Test
    void aTokenAReplicaOfTheOldReleaseRotatedWithoutAVersionIsTakenWhenTheProviderRefusesTheHeldOne() throws Exception {
        provider.oauth("tidemark", "s3cret", 1_000, "seed-replicas-token");
        TidemarkConfig.Auth auth = config.sources().get("simreplicas").api().orElseThrow().auth().orElseThrow();
        var http = vertx.getDelegate().createHttpClient();
        try {
            OAuth2Session current = new OAuth2Session("simreplicas", auth, vertx.getDelegate(), http, store, InstantSource.system(),
                    config.poller());
            assertThat(current.token().await().atMost(Duration.ofSeconds(30))).isNotBlank();
            // A replica of the release before versions rotates the token and saves it as that release did: no version.
            String held = stored("simreplicas").orElseThrow().getString("refresh_token");
            var grant = java.net.http.HttpRequest.newBuilder(java.net.URI.create(provider.baseUrl() + "/oauth/token"))
                    .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString("tidemark:s3cret".getBytes()))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("grant_type=refresh_token&refresh_token=" + held)).build();
            assertThat(java.net.http.HttpClient.newHttpClient().send(grant, java.net.http.HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);
            pool.preparedQuery("UPDATE source_auth SET refresh_token = $1 WHERE source = 'simreplicas'")
                    .execute(Tuple.of(provider.currentRefreshToken())).await().atMost(Duration.ofSeconds(10));

            Thread.sleep(1_100);   // the access token expires: the next call renews with the token it holds, now refused
            assertThat(current.token().await().atMost(Duration.ofSeconds(30))).isNotBlank();
            assertThat(current.refused()).isFalse();
            assertThat(stored("simreplicas").orElseThrow().getString("refresh_token")).isEqualTo(provider.currentRefreshToken());
        } finally {
            http.close();
        }
    }

    @Test
    void afterA401TheNextTokenComesFromTheTokenEndpointNotFromAnotherReplica() throws Exception {
        provider.oauth("tidemark", "s3cret", 600_000, "seed-replicas-token");
        TidemarkConfig.Auth auth = config.sources().get("simreplicas").api().orElseThrow().auth().orElseThrow();
        var http = vertx.getDelegate().createHttpClient();
        try {
            OAuth2Session a = new OAuth2Session("simreplicas", auth, vertx.getDelegate(), http, store, InstantSource.system(), config.poller());
            OAuth2Session b = new OAuth2Session("simreplicas", auth, vertx.getDelegate(), http, store, InstantSource.system(), config.poller());
            String first = a.token().await().atMost(Duration.ofSeconds(30));
            assertThat(b.token().await().atMost(Duration.ofSeconds(30))).as("taken from the other replica").isEqualTo(first);
            assertThat(provider.tokenRequests()).isEqualTo(1);
            // The provider revokes every access token; replica a is refused first and renews.
            a.rejected(first);
            String second = a.token().await().atMost(Duration.ofSeconds(30));
            assertThat(second).isNotEqualTo(first);
            // Replica b is refused too: the token a shared may be revoked with the rest, so b asks the endpoint itself.
            b.rejected(first);
            String third = b.token().await().atMost(Duration.ofSeconds(30));
            assertThat(third).isNotEqualTo(second).isNotEqualTo(first);
            assertThat(provider.tokenRequests()).isEqualTo(3);
        } finally {
            http.close();
        }
    }

    @Test
    void tokensAreRenewedAtRandomPointsOfTheWindowBeforeTheyExpire() {
        TidemarkConfig.Auth auth = config.sources().get("simreplicas").api().orElseThrow().auth().orElseThrow();
        OAuth2Session session = new OAuth2Session("simreplicas", auth, vertx.getDelegate(), null, store, InstantSource.system(),
                config.poller());
        java.util.List<Duration> hour = new java.util.ArrayList<>();
        java.util.List<Duration> short_ = new java.util.ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            hour.add(session.ahead(Duration.ofHours(1)));
            short_.add(session.ahead(Duration.ofSeconds(100)));
        }
        // The default window, 60 s to 180 s before expiry, used from end to end: a thousand tokens issued in the same
        // second are renewed over two minutes, not in one second.
        assertThat(hour).allSatisfy(d -> assertThat(d).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(180)));
        assertThat(java.util.Collections.min(hour)).isLessThan(Duration.ofSeconds(66));
        assertThat(java.util.Collections.max(hour)).isGreaterThan(Duration.ofSeconds(174));
        assertThat(hour.stream().map(Duration::toSeconds).distinct().count()).as("distinct seconds").isGreaterThan(100);
        // A token living under twice the window's end: 10–25 % of its lifetime before it expires.
        assertThat(short_).allSatisfy(d -> assertThat(d).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(25)));
    }

    @Test
    void twoReplicasRenewingAtOnceRenewOnceAndNeverEndInNeedsReauthorization() throws Exception {
        // Tokens live 4 s; the rotated token's save lands 600 ms after the grant: without the grant's lock, the
        // replica that lost the race would be refused while the winner's token is not stored yet. The waiter looks
        // for the lock every 50–450 ms and takes the winner's token only while it is not due (renewed 10–25 % of its
        // lifetime before it expires): a lifetime of 2 s left it 350 ms, which a loaded CI runner once overran.
        provider.oauth("tidemark", "s3cret", 4_000, "seed-replicas-token");
        injectIntoAuthWrites("simreplicas", "PERFORM pg_sleep(0.6)");
        TidemarkConfig.Auth auth = config.sources().get("simreplicas").api().orElseThrow().auth().orElseThrow();
        var http = vertx.getDelegate().createHttpClient();
        try {
            OAuth2Session a = new OAuth2Session("simreplicas", auth, vertx.getDelegate(), http, store, InstantSource.system(), config.poller());
            OAuth2Session b = new OAuth2Session("simreplicas", auth, vertx.getDelegate(), http, store, InstantSource.system(), config.poller());
            for (int round = 0; round < 3; round++) {
                int before = provider.tokenRequests();
                CompletableFuture<String> first = a.token().subscribeAsCompletionStage();
                CompletableFuture<String> second = b.token().subscribeAsCompletionStage();
                assertThat(first.get(30, TimeUnit.SECONDS)).as("round %d, replica a", round).isNotBlank();
                assertThat(second.get(30, TimeUnit.SECONDS)).as("round %d, replica b", round).isNotBlank();
                // One renewal across both: the replica that waited for the grant's lock took the other's token.
                assertThat(provider.tokenRequests() - before).as("round %d, renewals", round).isEqualTo(1);
                assertThat(second.get()).as("round %d, the same token", round).isEqualTo(first.get());
                assertThat(a.refused()).isFalse();
                assertThat(b.refused()).isFalse();
                Thread.sleep(4_100);   // the access token expires: the next round renews on both at once
            }
            Row row = stored("simreplicas").orElseThrow();
            assertThat(row.getBoolean("needs_reauthorization")).isFalse();
            assertThat(row.getString("refresh_token")).isEqualTo(provider.currentRefreshToken());
        } finally {
            http.close();
        }
    }
}
