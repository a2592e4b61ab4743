package dev.tidemark.poller;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.change.Connection;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.TenantProvider;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What a replica keeps per connection (its rate-limit budget, its OAuth2 session) goes with the connection: the
 * periodic pass over every connection forgets those of the deleted ones, wherever they were deleted, and keeps
 * the others'. Without it a replica serving thousands of accounts would hold every account it ever served.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class ForgottenConnectionsTests {

    static final String BASE = "/api/sources/accounts/connections";

    @Inject
    ProviderClient client;

    @Inject
    PollScheduler scheduler;

    @Inject
    Pool pool;

    @Test
    void aDeletedConnectionsBudgetIsForgottenByTheNextPassAndTheOthersAreKept() {
        TenantProvider provider = ProviderSimulatorResource.tenants();
        String run = UUID.randomUUID().toString().substring(0, 8);
        String gone = "gone-" + run;
        String kept = "kept-" + run;
        for (String id : new String[] {gone, kept}) {
            provider.tenant(id, "tok-" + id);
            provider.put(id, "f-1", Instant.parse("2026-10-01T00:00:00Z"), "f");
            createAndSync(id);
        }
        Connection goneConnection = new Connection("accounts", gone);
        Connection keptConnection = new Connection("accounts", kept);
        assertThat(client.kept()).as("each polled account has its own budget").contains(goneConnection, keptConnection);

        given().header("Authorization", Records.TOKEN).delete(BASE + "/" + gone).then().statusCode(204);
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            scheduler.reconcileConnections();   // a pass already under way makes this call pass: again until one ran
            assertThat(client.kept()).doesNotContain(goneConnection).contains(keptConnection);
        });

        // Created again with the id once its rows are gone: a new budget, and its polls work (a budget made twice for
        // one connection must not trip over what the first left behind, such as a circuit breaker's name).
        // (What the processors' sweep does after a minute, done at once; again while a page of a scheduled run that was
        // under way at the delete still lands, which answers the create 409.)
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            pool.preparedQuery("DELETE FROM records WHERE source = 'accounts' AND connection = $1").execute(Tuple.of(gone))
                    .chain(() -> pool.preparedQuery("DELETE FROM connection_purges WHERE source = 'accounts' AND connection = $1")
                            .execute(Tuple.of(gone))).await().atMost(Duration.ofSeconds(10));
            given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON)
                    .body("{\"id\":\"" + gone + "\",\"credentials\":{\"token\":\"tok-" + gone + "\"},\"variables\":{\"tenant\":\"" + gone + "\"}}")
                    .post(BASE).then().statusCode(201);
        });
        sync(gone);
        assertThat(client.kept()).contains(goneConnection, keptConnection);
    }

    /** Creates the connection and runs a full sync of its items to its end: completed, with its one record. */
    private static void createAndSync(String id) {
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON)
                .body("{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"tok-" + id + "\"},\"variables\":{\"tenant\":\"" + id + "\"}}")
                .post(BASE).then().statusCode(201);
        sync(id);
    }

    private static void sync(String id) {
        String runId = given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"mode\":\"full\"}")
                .post(BASE + "/" + id + "/resources/items/sync").then().statusCode(202).extract().path("runId");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !"running".equals(given().header("Authorization", Records.TOKEN)
                .get("/api/runs/" + runId).then().statusCode(200).extract().path("status")));
        given().header("Authorization", Records.TOKEN).get("/api/runs/" + runId).then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("completed")).body("records", org.hamcrest.Matchers.equalTo(1));
    }
}
