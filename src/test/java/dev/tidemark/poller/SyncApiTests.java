package dev.tidemark.poller;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The poller's endpoints (README "Read and admin API") over real HTTP: trigger a sync, follow its run, list runs, each source's state. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class SyncApiTests {

    @Inject
    LeaseStore store;

    @Inject
    Pool pool;

    ProviderSimulator provider;

    @BeforeEach
    void fresh() {
        provider = ProviderSimulatorResource.fresh();
        pool.query("DELETE FROM poll_leases WHERE source = 'sim'").execute().await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void aSyncStartedOverTheApiRunsToTheEndAndIsListed() {
        Instant t = Instant.parse("2026-05-01T00:00:00Z");
        for (int i = 0; i < 150; i++) {
            provider.put("api-" + i, t.plusSeconds(i), i);
        }
        String runId = given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"mode\":\"full\"}")
                .post("/api/sources/sim/resources/page-items/sync")
                .then().statusCode(202).header("Location", containsString("/api/runs/")).body("mode", equalTo("full"))
                .extract().path("runId");
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", Records.TOKEN).get("/api/runs/" + runId).then().statusCode(200)
                        .body("status", equalTo("completed")).body("records", equalTo(150)).body("calls", equalTo(2))
                        .body("mode", equalTo("full")).body("trigger", equalTo("api")));
        given().header("Authorization", Records.TOKEN).get("/api/runs?source=sim&resource=page-items&limit=5").then().statusCode(200)
                .body("runs.id", hasItem(runId));
        given().header("Authorization", Records.TOKEN).get("/api/sources").then().statusCode(200)
                .body("sources.find { it.source == 'sim' }.resources.find { it.resource == 'page-items' }.checkpoint.status",
                        equalTo("completed"))
                .body("sources.find { it.source == 'sim' }.resources.find { it.resource == 'page-items' }.health", equalTo("ok"))
                .body("sources.find { it.source == 'sim' }.resources.find { it.resource == 'page-items' }.lagSeconds", notNullValue())
                .body("sources.find { it.source == 'lab' }.resources.find { it.resource == 'items' }.polled", equalTo(false));
    }

    @Test
    void aResourceAlreadyBeingSyncedAnswers409() {
        SyncTarget target = SyncTarget.of("sim", "cursor-items");
        UUID other = UUID.randomUUID();
        store.acquire(target, "replica-b", other, Duration.ofSeconds(30)).await().atMost(Duration.ofSeconds(5));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"mode\":\"incremental\"}")
                .post("/api/sources/sim/resources/cursor-items/sync")
                .then().statusCode(409).contentType("application/problem+json").body("detail", containsString(other.toString()));
        assertThat(provider.listCalls()).isZero();
    }

    @Test
    void badRequestsAreRefusedClearly() {
        given().contentType(ContentType.JSON).body("{}").post("/api/sources/sim/resources/cursor-items/sync").then().statusCode(401);
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{}")
                .post("/api/sources/nope/resources/x/sync").then().statusCode(404).body("detail", equalTo("no source nope"));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{}")
                .post("/api/sources/sim/resources/nope/sync").then().statusCode(404);
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{}")
                .post("/api/sources/lab/resources/items/sync").then().statusCode(409).body("detail", containsString("is not polled"));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"mode\":\"sideways\"}")
                .post("/api/sources/sim/resources/cursor-items/sync").then().statusCode(400).body("detail", containsString("mode"));
        given().header("Authorization", Records.TOKEN).get("/api/runs/not-a-uuid").then().statusCode(404);
        given().header("Authorization", Records.TOKEN).get("/api/runs/" + UUID.randomUUID()).then().statusCode(404);
        given().header("Authorization", Records.TOKEN).get("/api/runs?limit=0").then().statusCode(400);
        given().header("Authorization", Records.TOKEN).get("/api/runs?resource=x").then().statusCode(400);
        assertThat(provider.listCalls()).isZero();
    }
}
