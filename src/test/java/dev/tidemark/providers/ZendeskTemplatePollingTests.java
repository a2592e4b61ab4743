package dev.tidemark.providers;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.ZendeskApi;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The zendesk template ({@code zendesktemplate} in application.yaml's test profile) against an API shaped like
 * Zendesk's Support API ({@link ZendeskApi}: the incremental export by after_url, its refusal of a start_time under a
 * minute old, 429s): users exported page by page, polled again from two minutes before the last change, and
 * Zendesk's signed user events served by reading the user.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class ZendeskTemplatePollingTests {

    @Inject
    ResourceSync sync;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    ZendeskApi zendesk;
    long base;

    @BeforeEach
    void fresh() {
        TemplateRuns.settle(pool, "zendesktemplate", 3);
        zendesk = ProviderSimulatorResource.zendesk();
        zendesk.clear();
        base = System.nanoTime() % 1_000_000_000L * 10_000;
    }

    SyncRun run(SyncMode mode) {
        return TemplateRuns.run(sync, "zendesktemplate", "users", mode, Duration.ofSeconds(90));
    }

    @Test
    void usersAreExportedByAfterUrlAndPolledAgainFromBeforeTheLastChange() {
        Instant t = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < 1500; i++) {
            zendesk.put(ZendeskApi.user(base + i, "User " + i, t.plusSeconds(i)));
        }
        zendesk.rateLimitEvery(2);   // every other call: 429, Retry-After 1
        SyncRun full = run(SyncMode.FULL);
        assertThat(full.status()).isEqualTo("completed");
        assertThat(full.records()).isEqualTo(1500);
        assertThat(full.rateLimitWaits()).isPositive();
        List<String> exports = zendesk.calls().stream().filter(c -> c.startsWith("GET /api/v2/incremental/users/cursor.json")).distinct().toList();
        assertThat(exports.get(0)).isEqualTo("GET /api/v2/incremental/users/cursor.json?per_page=1000&start_time=0");
        assertThat(exports.get(1)).startsWith("GET /api/v2/incremental/users/cursor.json?cursor=");
        Records.await("zendesktemplate/users/" + (base + 1499), r -> r.body("data.name", equalTo("User 1499")));

        // A user changes ten seconds ago: the next poll starts two minutes before the last change it saw, never at a
        // start_time Zendesk refuses as too recent, and brings it.
        zendesk.rateLimitEvery(0);
        zendesk.put(ZendeskApi.user(base + 7, "Renamed", Instant.now().minusSeconds(10)));
        assertThat(run(SyncMode.INCREMENTAL).status()).isEqualTo("completed");
        Records.await("zendesktemplate/users/" + (base + 7), r -> r.body("data.name", equalTo("Renamed")));
        zendesk.put(ZendeskApi.user(base + 8, "Renamed too", Instant.now().minusSeconds(5)));
        SyncRun again = run(SyncMode.INCREMENTAL);
        assertThat(again.status()).as(again.error().orElse("")).isEqualTo("completed");
        Records.await("zendesktemplate/users/" + (base + 8), r -> r.body("data.name", equalTo("Renamed too")));
    }

    @Test
    void aWalkEndsWhereTheExportSaysTheStreamEndsThoughAnAccountInUseKeepsChanging() {
        Instant t = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < 5; i++) {
            zendesk.put(ZendeskApi.user(base + i, "User " + i, t.plusSeconds(i)));
        }
        // Each call finds one more change after it: following after_url until a page comes back empty would walk on for
        // as long as the account is in use. end_of_stream ends the walk.
        zendesk.busy(true);
        SyncRun full = run(SyncMode.FULL);
        assertThat(full.status()).isEqualTo("completed");
        assertThat(full.calls()).isEqualTo(1);
        assertThat(full.records()).isEqualTo(6);
    }

    @Test
    void aSignedUserEventIsServedByReadingTheUser() throws Exception {
        zendesk.put(ZendeskApi.user(base + 1, "Jane Doe", Instant.now().minusSeconds(30)));
        ObjectNode event = (ObjectNode) ZendeskTemplateTest.example().deepCopy();
        event.put("type", "zen:event-type:user.name_changed").put("time", Instant.now().toString());
        ((ObjectNode) event.get("detail")).put("id", Long.toString(base + 1)).put("updated_at", Instant.now().minusSeconds(30).toString());
        String body = event.toString();
        String time = Instant.now().toString();
        given().contentType("application/json").header("X-Zendesk-Webhook-Signature-Timestamp", time)
                .header("X-Zendesk-Webhook-Signature", ZendeskTemplateTest.hmac("zendesktemplate-secret", time + body))
                .body(body).post("/webhooks/zendesktemplate").then().statusCode(202).body("changes", equalTo(1));
        Records.await("zendesktemplate/users/" + (base + 1), r -> r.body("data.name", equalTo("Jane Doe")));
        assertThat(zendesk.calls()).contains("GET /api/v2/users/" + (base + 1) + ".json");
        // Signed in the other order: refused.
        given().contentType("application/json").header("X-Zendesk-Webhook-Signature-Timestamp", time)
                .header("X-Zendesk-Webhook-Signature", ZendeskTemplateTest.hmac("zendesktemplate-secret", body + time))
                .body(body).post("/webhooks/zendesktemplate").then().statusCode(401);
    }
}
