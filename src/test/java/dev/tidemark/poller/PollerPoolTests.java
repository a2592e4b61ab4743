package dev.tidemark.poller;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.TenantProvider;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The replica-wide pool, over real HTTP and PostgreSQL: with six connections
 * due at once against a slow provider and a pool of two, never more than two
 * calls are in flight, and every connection is still polled (the oldest due
 * first, none starved). Its own application, with the pool made small.
 */
@QuarkusTest
@TestProfile(PollerPoolTests.SmallPool.class)
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class PollerPoolTests {

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    public static class SmallPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.poller.max-runs", "3", "tidemark.poller.max-runs-per-connection", "1");
        }
    }

    @Test
    void aFullPoolLeavesWorkDueAndRunsItOldestFirst() {
        TenantProvider provider = ProviderSimulatorResource.tenants();
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String id = "pool-" + run + "-" + i;
            ids.add(id);
            provider.tenant(id, "tok-" + id);
            provider.put(id, "p-1", Instant.parse("2026-09-01T00:00:00Z"), "p");
            provider.slow(id, Duration.ofMillis(600));  // under the test profile's 1 s request timeout: no call is retried
        }
        provider.resetPeak();
        for (String id : ids) {
            // Polled hourly: nothing falls due by itself during the test.
            given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON)
                    .body("{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"tok-" + id + "\"},\"variables\":{\"tenant\":\"" + id
                            + "\"},\"schedule\":{\"items\":\"1h\",\"notes\":\"1h\"}}")
                    .post("/api/sources/accounts/connections").then().statusCode(201);
        }
        // Then every row of them due at the same instant, long ago: twelve runs wanted at once, two per account.
        pool.preparedQuery("UPDATE poll_schedule SET due_at = '2026-01-01T00:00:00Z' WHERE source = 'accounts' AND connection = ANY($1)")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(ids.toArray(String[]::new))).await().atMost(Duration.ofSeconds(10));
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (String id : ids) {
                assertThat(provider.calls(id)).as("both resources of every connection polled, none starved: " + id).isGreaterThanOrEqualTo(2);
            }
        });
        assertThat(provider.peak()).as("calls in flight at once, with a pool of three").isBetween(1, 3);
        for (String id : ids) {
            // Two resources each, one run of a connection at a time: an account's calls never overlap.
            assertThat(provider.peak(id)).as("calls of one account in flight at once: " + id).isEqualTo(1);
        }
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("tidemark_poller_runs_in_flight").contains("tidemark_poller_due_backlog")
                .contains("tidemark_poller_due_oldest_age_seconds")
                .contains("tidemark_connections{source=\"accounts\",state=\"needs-reauthorization\"}");
        // Thousands of connections must not make thousands of series: no metric names one.
        assertThat(metrics).doesNotContain("connection=\"").doesNotContain(ids.get(0));
        Awaitility.await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> assertThat(dev.tidemark.support.Management.given()
                .get("/q/metrics").then().extract().asString()).containsPattern(
                        "tidemark_connections\\{source=\"accounts\",state=\"active\"\\} ([6-9]|[1-9][0-9]+)\\.0"));
        // A connection's share counts its runs in every replica: with another replica's run holding one of its
        // resources (a lease this replica does not own), a sync of its other one is refused, not started.
        String busy = ids.get(0);
        // Once its own runs have ended: the provider counts a call when it arrives, so a run whose call was counted
        // above may still hold its lease for the rest of its slow answer (CI saw this insert meet that lease).
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> pool.preparedQuery(
                        "SELECT count(*) AS n FROM poll_leases WHERE source = 'accounts' AND connection = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(busy)).await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n") == 0);
        pool.preparedQuery("INSERT INTO poll_leases (source, connection, resource, parent, owner, run_id, expires_at) "
                        + "VALUES ('accounts', $1, 'notes', '', 'another-replica', $2, now() + interval '1 minute')")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(busy, UUID.randomUUID())).await().atMost(Duration.ofSeconds(10));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{}")
                .post("/api/sources/accounts/connections/" + busy + "/resources/items/sync").then().statusCode(503)
                .header("Retry-After", "5").body("detail", org.hamcrest.Matchers.containsString("max-runs-per-connection"));
        pool.preparedQuery("DELETE FROM poll_leases WHERE owner = 'another-replica'").execute().await().atMost(Duration.ofSeconds(10));
        // The resource itself taken by another replica, its row claimed there and its run not yet begun (no lease
        // yet): a sync is refused as for a run under way, and says so.
        io.vertx.mutiny.sqlclient.Tuple row = io.vertx.mutiny.sqlclient.Tuple.of(busy);
        pool.preparedQuery("UPDATE poll_schedule SET claimed_until = now() + interval '1 minute' "
                + "WHERE source = 'accounts' AND connection = $1 AND resource = 'items' AND kind = 'poll'").execute(row)
                .await().atMost(Duration.ofSeconds(10));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{}")
                .post("/api/sources/accounts/connections/" + busy + "/resources/items/sync").then().statusCode(409)
                .body("detail", org.hamcrest.Matchers.containsString("is being synced"));
        // A claim that ran out (its replica died before the run) holds nothing.
        pool.preparedQuery("UPDATE poll_schedule SET claimed_until = now() - interval '1 second' "
                + "WHERE source = 'accounts' AND connection = $1 AND resource = 'items' AND kind = 'poll'").execute(row)
                .await().atMost(Duration.ofSeconds(10));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{}")
                .post("/api/sources/accounts/connections/" + busy + "/resources/items/sync").then().statusCode(202);
        for (String id : ids) {
            given().header("Authorization", Records.TOKEN).delete("/api/sources/accounts/connections/" + id).then().statusCode(204);
        }
    }
}
