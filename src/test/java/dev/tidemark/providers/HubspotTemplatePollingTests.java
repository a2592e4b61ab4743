package dev.tidemark.providers;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.support.HubspotApi;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hubspot template ({@code hubspottemplate} in application.yaml's test profile) against an API shaped like
 * HubSpot's CRM objects API ({@link HubspotApi}: {@code paging.next.after}, its error bodies): contacts polled page by
 * page, and HubSpot's thin, v3-signed event batches served by reading each contact they name.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class HubspotTemplatePollingTests {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ResourceSync sync;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    HubspotApi hubspot;
    long base;

    @BeforeEach
    void fresh() {
        TemplateRuns.settle(pool, "hubspottemplate", 3);
        hubspot = ProviderSimulatorResource.hubspot();
        hubspot.clear();
        base = System.nanoTime() % 1_000_000_000L * 1_000;
    }

    SyncRun run(String resource, SyncMode mode) {
        return TemplateRuns.run(sync, "hubspottemplate", resource, mode, Duration.ofSeconds(90));
    }

    @Test
    void contactsArePagedByTheAfterCursor() {
        for (int i = 0; i < 250; i++) {
            hubspot.put("contacts", HubspotApi.contact(base + i, "c" + i + "@hubspot.com", "2026-11-30T10:00:00.123Z"));
        }
        SyncRun full = run("contacts", SyncMode.FULL);
        assertThat(full.status()).isEqualTo("completed");
        assertThat(full.records()).isEqualTo(250);
        List<String> lists = hubspot.calls().stream().filter(call -> call.startsWith("GET /crm/v3/objects/contacts?")).toList();
        assertThat(lists).containsExactly("GET /crm/v3/objects/contacts?limit=100",
                "GET /crm/v3/objects/contacts?after=" + (base + 100) + "&limit=100",
                "GET /crm/v3/objects/contacts?after=" + (base + 200) + "&limit=100");
        Records.await("hubspottemplate/contacts/" + base, r -> r.body("data.properties.email", equalTo("c0@hubspot.com"))
                .body("updatedAt", equalTo("2026-11-30T10:00:00.123Z")));
    }

    @Test
    void aSignedBatchOfThinEventsIsServedByReadingEachContactAndDeletionsDelete() throws Exception {
        hubspot.put("contacts", HubspotApi.contact(base + 1, "before@hubspot.com", "2026-11-30T10:00:00Z"));
        hubspot.put("contacts", HubspotApi.contact(base + 2, "doomed@hubspot.com", "2026-11-30T10:00:00Z"));
        run("contacts", SyncMode.FULL);
        Records.await("hubspottemplate/contacts/" + (base + 2), r -> r.body("data.properties.email", equalTo("doomed@hubspot.com")));

        // At HubSpot: contact 1 changes, contact 2 is deleted; one batch says both, as HubSpot's library example has it.
        long now = System.currentTimeMillis();
        hubspot.put("contacts", HubspotApi.contact(base + 1, "after@hubspot.com", Instant.ofEpochMilli(now).toString()));
        hubspot.delete("contacts", base + 2);
        ArrayNode batch = JSON.createArrayNode();
        ObjectNode changed = (ObjectNode) JSON.readTree(HubspotTemplateTest.example()).get(0);
        batch.add(changed.deepCopy().put("subscriptionType", "contact.propertyChange").put("objectId", base + 1).put("occurredAt", now)
                .put("propertyName", "email").put("propertyValue", "after@hubspot.com"));
        batch.add(changed.deepCopy().put("eventId", 2).put("subscriptionType", "contact.deletion").put("objectId", base + 2)
                .put("occurredAt", now + 1));
        post(batch.toString(), "https://hooks.example.com/webhooks/hubspottemplate").then().statusCode(202).body("changes", equalTo(2));
        Records.await("hubspottemplate/contacts/" + (base + 1), r -> r.body("data.properties.email", equalTo("after@hubspot.com")));
        Records.await("hubspottemplate/contacts/" + (base + 2), r -> r.body("deleted", equalTo(true)));
        assertThat(hubspot.calls()).contains("GET /crm/v3/objects/contacts/" + (base + 1));

        // Contact 3 is merged into contact 1: reading 3 answers with 1. A late event for 3 deletes 3, and never stores
        // contact 1's record under 3's id.
        hubspot.put("contacts", HubspotApi.contact(base + 3, "merged@hubspot.com", "2026-11-30T10:00:00Z"));
        run("contacts", SyncMode.FULL);
        Records.await("hubspottemplate/contacts/" + (base + 3), r -> r.body("data.properties.email", equalTo("merged@hubspot.com")));
        hubspot.merge("contacts", base + 3, base + 1);
        ArrayNode late = JSON.createArrayNode();
        late.add(changed.deepCopy().put("eventId", 3).put("subscriptionType", "contact.propertyChange").put("objectId", base + 3)
                .put("occurredAt", System.currentTimeMillis()));
        post(late.toString(), "https://hooks.example.com/webhooks/hubspottemplate").then().statusCode(202).body("changes", equalTo(1));
        Records.await("hubspottemplate/contacts/" + (base + 3), r -> r.body("deleted", equalTo(true)));
        Records.await("hubspottemplate/contacts/" + (base + 1), r -> r.body("data.properties.email", equalTo("after@hubspot.com")));

        // Signed for another URL (not the one HubSpot was given): refused.
        post(batch.toString(), "https://elsewhere.example.com/webhooks/hubspottemplate").then().statusCode(401);
    }

    static io.restassured.response.Response post(String body, String url) throws Exception {
        String timestamp = Long.toString(System.currentTimeMillis());
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("hubspottemplate-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = Base64.getEncoder().encodeToString(mac.doFinal(("POST" + url + body + timestamp).getBytes(StandardCharsets.UTF_8)));
        return given().contentType("application/json").header("X-HubSpot-Signature-v3", signature)
                .header("X-HubSpot-Request-Timestamp", timestamp).body(body).post("/webhooks/hubspottemplate");
    }
}
