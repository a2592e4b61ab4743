package dev.tidemark;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.SignedWebhook;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The walking skeleton, end to end over real HTTP, a real Kafka broker and a
 * real PostgreSQL: a signed webhook is acknowledged only after Kafka has it,
 * the processor applies it, and the read API returns it.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class WebhookToRecordTests {

    private static final String TOKEN = Records.TOKEN;

    @Test
    void signedWebhookBecomesAReadableRecord() {
        String id = "o-" + UUID.randomUUID();
        SignedWebhook.post(SignedWebhook.order("order.created", id, "2026-11-24T10:00:00.123456789Z", "open", 500))
                .then().statusCode(202)
                .contentType("application/json")
                .body("changes", equalTo(1))
                .body("deliveryId", startsWith("sha256:"));

        awaitRecord(id, r -> r
                .body("source", equalTo("shop"))
                .body("resource", equalTo("orders"))
                .body("id", equalTo(id))
                .body("updatedAt", equalTo("2026-11-24T10:00:00.123456Z"))
                .body("deleted", equalTo(false))
                .body("data.status", equalTo("open"))
                .body("data.amount", equalTo(500)));
    }

    @Test
    void anOlderUpdateNeverOverwritesANewerState() {
        String id = "o-" + UUID.randomUUID();
        SignedWebhook.post(SignedWebhook.order("order.updated", id, "2026-11-24T10:00:02Z", "paid", 700)).then().statusCode(202);
        awaitRecord(id, r -> r.body("data.status", equalTo("paid")));

        double stale = processed("stale");
        SignedWebhook.post(SignedWebhook.order("order.updated", id, "2026-11-24T10:00:01Z", "open", 500)).then().statusCode(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> processed("stale") > stale);
        awaitRecord(id, r -> r.body("data.status", equalTo("paid")).body("updatedAt", equalTo("2026-11-24T10:00:02Z")));

        double duplicate = processed("duplicate");
        SignedWebhook.post(SignedWebhook.order("order.updated", id, "2026-11-24T10:00:02Z", "paid", 700)).then().statusCode(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> processed("duplicate") > duplicate);

        SignedWebhook.post(SignedWebhook.order("order.deleted", id, "2026-11-24T10:00:04Z", "paid", 700)).then().statusCode(202);
        awaitRecord(id, r -> r.body("deleted", equalTo(true)).body("updatedAt", equalTo("2026-11-24T10:00:04Z")));
    }

    @Test
    void aStaleUpdateNeverResurrectsADeletedRecordButARestoreDoes() {
        String id = "o-" + UUID.randomUUID();
        SignedWebhook.post(SignedWebhook.order("order.deleted", id, "2026-11-24T11:00:00Z", "open", 1)).then().statusCode(202);
        awaitRecord(id, r -> r.body("deleted", equalTo(true)));

        double stale = processed("stale");
        SignedWebhook.post(SignedWebhook.order("order.updated", id, "2026-11-24T10:59:59Z", "open", 1)).then().statusCode(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> processed("stale") > stale);
        awaitRecord(id, r -> r.body("deleted", equalTo(true)));

        SignedWebhook.post(SignedWebhook.order("order.updated", id, "2026-11-24T11:00:01Z", "restored", 2)).then().statusCode(202);
        awaitRecord(id, r -> r.body("deleted", equalTo(false)).body("data.status", equalTo("restored")));
    }

    @Test
    void aRecordNeverSeenIs404() {
        given().header("Authorization", TOKEN).get("/api/records/shop/orders/never-seen")
                .then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void theApiNeedsTheBearerToken() {
        given().get("/api/records/shop/orders/x").then().statusCode(401);
        given().header("Authorization", "Bearer wrong").get("/api/records/shop/orders/x").then().statusCode(401);
    }

    @Test
    void readinessChecksTheDatabaseAndKafka() {
        dev.tidemark.support.Management.given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", org.hamcrest.Matchers.hasItems(
                        org.hamcrest.Matchers.containsString("Reactive PostgreSQL"),
                        org.hamcrest.Matchers.containsString("Kafka")));
    }

    @Test
    void prometheusMetricsCountDeliveries() {
        SignedWebhook.post(SignedWebhook.order("order.created", "m-" + UUID.randomUUID(), "2026-11-24T10:00:00Z", "open", 1))
                .then().statusCode(202);
        dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("tidemark_webhook_deliveries_total{outcome=\"accepted\",source=\"shop\"}"));
    }

    /** How many changes of shop/orders the processor has decided this way so far, from /q/metrics. */
    static double processed(String decision) {
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        String series = "tidemark_processor_changes_total{decision=\"" + decision + "\",resource=\"orders\",source=\"shop\"} ";
        return metrics.lines().filter(l -> l.startsWith(series))
                .mapToDouble(l -> Double.parseDouble(l.substring(series.length()).trim())).sum();
    }

    static void awaitRecord(String id, Consumer<ValidatableResponse> expected) {
        Records.await("shop/orders/" + id, expected);
    }
}
