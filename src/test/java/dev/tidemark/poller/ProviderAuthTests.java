package dev.tidemark.poller;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OAuth2 against the simulator's token endpoint: tokens renewed before they
 * expire, one renewal for concurrent callers, one more try after a 401, a
 * rotated refresh token persisted, and a refused grant that marks the source
 * for re-authorization instead of retrying.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class ProviderAuthTests {

    @Inject
    ResourceSync sync;

    @Inject
    Pool pool;

    ProviderSimulator provider;

    @BeforeEach
    void fresh() {
        provider = ProviderSimulatorResource.fresh();
        pool.query("DELETE FROM poll_checkpoints WHERE source LIKE 'sim%'").execute()
                .chain(() -> pool.query("DELETE FROM poll_leases WHERE source LIKE 'sim%'").execute())
                .await().atMost(Duration.ofSeconds(10));
        Instant t = Instant.parse("2026-03-01T00:00:00Z");
        for (int i = 0; i < 60; i++) {
            provider.put(String.format("a%03d", i), t.plusSeconds(i), i);
        }
    }

    SyncRun run(String source, String resource) {
        Optional<SyncRun> run = sync.run(SyncTarget.of(source, resource), SyncMode.FULL, "api").await().atMost(Duration.ofSeconds(60));
        assertThat(run).isPresent();
        return run.get();
    }

    @Test
    void clientCredentialsAreRenewedBeforeTheyExpireOnceForConcurrentCallersAndAfterA401() throws Exception {
        provider.oauth("tidemark", "s3cret", 1_500, null);
        // Two resources of one source start together: one token request serves both.
        var both = Uni.combine().all().unis(
                sync.run(SyncTarget.of("simoauth", "items"), SyncMode.FULL, "api"),
                sync.run(SyncTarget.of("simoauth", "others"), SyncMode.FULL, "api")).asTuple().await().atMost(Duration.ofSeconds(60));
        assertThat(both.getItem1()).get().extracting(SyncRun::status).isEqualTo("completed");
        assertThat(both.getItem2()).get().extracting(SyncRun::status).isEqualTo("completed");
        assertThat(provider.tokenRequests()).isEqualTo(1);
        assertThat(provider.unauthorized()).isZero();

        // Past most of the token's lifetime the next run renews it before calling, so no call sees a 401.
        Thread.sleep(1_400);
        provider.reset();
        provider.oauth("tidemark", "s3cret", 1_500, null);
        provider.revokeAccessTokens();
        assertThat(run("simoauth", "items").status()).isEqualTo("completed");
        assertThat(provider.tokenRequests()).isEqualTo(1);
        assertThat(provider.unauthorized()).isZero();

        // A token the provider revoked early: one 401, one new token, the call again.
        provider.reset();
        provider.oauth("tidemark", "s3cret", 60_000, null);
        SyncRun warm = run("simoauth", "items");
        assertThat(warm.status()).isEqualTo("completed");
        provider.revokeAccessTokens();
        int before = provider.tokenRequests();
        int refusedBefore = provider.unauthorized();
        SyncRun after = run("simoauth", "items");
        assertThat(after.status()).isEqualTo("completed");
        assertThat(provider.unauthorized()).isEqualTo(refusedBefore + 1);
        assertThat(provider.tokenRequests()).isEqualTo(before + 1);
    }

    @Test
    void aRotatedRefreshTokenIsPersistedAndARefusedGrantAsksForReauthorizationWithoutRetrying() {
        provider.oauth("tidemark", "s3cret", 60_000, "seed-refresh-token");
        assertThat(run("simrefresh", "items").status()).isEqualTo("completed");
        String rotated = provider.currentRefreshToken();
        assertThat(rotated).isNotEqualTo("seed-refresh-token");
        String stored = pool.preparedQuery("SELECT refresh_token FROM source_auth WHERE source = $1")
                .execute(Tuple.of("simrefresh")).await().atMost(Duration.ofSeconds(5)).iterator().next().getString("refresh_token");
        assertThat(stored).isEqualTo(rotated);

        // The provider withdraws the grant.
        provider.revokeAccessTokens();
        provider.refuseGrants();
        int before = provider.tokenRequests();
        SyncRun refused = run("simrefresh", "items");
        assertThat(refused.status()).isEqualTo("failed");
        assertThat(refused.error()).get().asString().contains("needs re-authorization").contains("invalid_grant")
                .doesNotContain(rotated);
        assertThat(provider.tokenRequests()).isEqualTo(before + 1);
        // No retry loop: the next run does not even ask.
        assertThat(run("simrefresh", "items").status()).isEqualTo("failed");
        assertThat(provider.tokenRequests()).isEqualTo(before + 1);

        given().header("Authorization", Records.TOKEN).get("/api/sources").then().statusCode(200)
                .body("sources.find { it.source == 'simrefresh' }.auth.state", equalTo("needs-reauthorization"));
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("tidemark_poller_auth_needs_reauthorization{source=\"simrefresh\"} 1.0");
        pool.query("DELETE FROM source_auth").execute().await().atMost(Duration.ofSeconds(5));
    }
}
