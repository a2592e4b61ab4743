package dev.tidemark.receiver;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ChangesTopic;
import dev.tidemark.support.SignedWebhook;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** The README's webhook status table, row by row, over real HTTP; a rejected delivery never reaches tidemark.changes. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class WebhookStatusTests {

    private static final String VALID = SignedWebhook.order("order.created", "s-1", "2026-11-24T10:00:00Z", "open", 1);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @jakarta.inject.Inject
    dev.tidemark.change.ChangePublisher publisher;

    @ConfigProperty(name = "tidemark.receiver.max-changes-per-delivery")
    int maxChanges;

    RequestSpecification signed(String body, String secret, long timestamp) {
        return given().contentType("application/json")
                .header("X-Timestamp", Long.toString(timestamp))
                .header("X-Signature", SignedWebhook.signature(secret, timestamp, body))
                .body(body.getBytes(StandardCharsets.UTF_8));
    }

    long now() {
        return Instant.now().getEpochSecond();
    }

    @Test
    void acceptedOnlyWithKafkasAcknowledgementAndARedeliveryIsAcceptedAgain() {
        long before = changesEndOffset();
        String deliveryId = "evt-" + System.nanoTime();
        for (int attempt = 0; attempt < 2; attempt++) {
            signed(VALID, SignedWebhook.SECRET, now()).header("X-Delivery-Id", deliveryId).post("/webhooks/shop")
                    .then().statusCode(202).body("deliveryId", equalTo(deliveryId)).body("changes", equalTo(1));
        }
        assertThat(changesEndOffset()).isEqualTo(before + 2);
    }

    static String bulk(int count) {
        StringBuilder body = new StringBuilder("[");
        String run = Long.toString(System.nanoTime());
        for (int i = 0; i < count; i++) {
            body.append(i == 0 ? "" : ",").append(SignedWebhook.order("order.updated", "bulk-" + run + "-" + i,
                    "2026-11-24T10:00:00Z", "open", i));
        }
        return body.append("]").toString();
    }

    @Test
    void aDeliveryOfAsManyEventsAsAllowedIsAcceptedWhole() {
        long before = changesEndOffset();
        // Sent at once, 4,096 of these overflowed the emitter after the first ones were on Kafka: 503 for ever.
        signed(bulk(maxChanges), SignedWebhook.SECRET, now()).post("/webhooks/shop").then().statusCode(202)
                .body("changes", equalTo(maxChanges));
        assertThat(changesEndOffset()).isEqualTo(before + maxChanges);
    }

    @Test
    void aDeliveryOfMoreEventsThanAllowedIsRefusedWhole() {
        long before = changesEndOffset();
        String events = bulk(5_000);
        assertThat(events.length()).as("under the 1 MiB body limit").isLessThan(1024 * 1024);
        signed(events, SignedWebhook.SECRET, now()).post("/webhooks/shop").then().statusCode(413)
                .body("detail", containsString("tidemark.receiver.max-changes-per-delivery"));
        assertThat(changesEndOffset()).as("nothing of it on Kafka").isEqualTo(before);
    }

    @Test
    void severalEventsInOneDelivery() {
        long before = changesEndOffset();
        String body = "[" + VALID + "," + SignedWebhook.order("order.updated", "s-2", "2026-11-24T10:00:00Z", "open", 2) + "]";
        signed(body, SignedWebhook.SECRET, now()).post("/webhooks/shop").then().statusCode(202).body("changes", equalTo(2));
        assertThat(changesEndOffset()).isEqualTo(before + 2);
    }

    @Test
    void theOldSecretStillWorksDuringARotation() {
        signed(VALID, "old-secret", now()).post("/webhooks/shop").then().statusCode(202);
    }

    @Test
    void noStateChangesForAnyRejectedDelivery() {
        long before = changesEndOffset();

        // 200: verified, but the event type feeds no resource; the provider must not retry.
        signed("{\"type\":\"invoice.paid\",\"data\":{}}", SignedWebhook.SECRET, now()).post("/webhooks/shop")
                .then().statusCode(200).body("ignored", containsString("invoice.paid"));
        // 404: unknown source.
        signed(VALID, SignedWebhook.SECRET, now()).post("/webhooks/nobody").then().statusCode(404)
                .contentType("application/problem+json").body("status", equalTo(404));
        // 401: missing, wrong, forged or stale signatures.
        given().contentType("application/json").body(VALID).post("/webhooks/shop").then().statusCode(401)
                .contentType("application/problem+json").body("detail", containsString("missing_signature"));
        signed(VALID, "not-the-secret", now()).post("/webhooks/shop").then().statusCode(401)
                .body("detail", containsString("signature_mismatch"));
        signed(VALID, SignedWebhook.SECRET, now() - 301).post("/webhooks/shop").then().statusCode(401)
                .body("detail", containsString("timestamp_outside_tolerance"));
        long ts = now();
        given().contentType("application/json").header("X-Timestamp", Long.toString(ts))
                .header("X-Signature", SignedWebhook.signature(SignedWebhook.SECRET, ts, VALID))
                .body(VALID.replace("open", "paid")).post("/webhooks/shop").then().statusCode(401);
        // 400: not JSON, or a mapped event without its id or updated_at; the problem names the field.
        signed("{not json", SignedWebhook.SECRET, now()).post("/webhooks/shop").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("body"));
        signed("{\"type\":\"order.created\",\"data\":{\"updated_at\":\"2026-11-24T10:00:00Z\"}}", SignedWebhook.SECRET, now())
                .post("/webhooks/shop").then().statusCode(400).body("detail", containsString("/data/id"));
        signed("{\"type\":\"order.created\",\"data\":{\"id\":\"x\"}}", SignedWebhook.SECRET, now())
                .post("/webhooks/shop").then().statusCode(400).body("detail", containsString("/data/updated_at"));
        signed("{\"data\":{}}", SignedWebhook.SECRET, now()).post("/webhooks/shop").then().statusCode(400)
                .body("detail", containsString("/type"));
        // 415: not JSON by content type.
        long t415 = now();
        given().contentType("text/plain").header("X-Timestamp", Long.toString(t415))
                .header("X-Signature", SignedWebhook.signature(SignedWebhook.SECRET, t415, VALID))
                .body(VALID).post("/webhooks/shop").then().statusCode(415).contentType("application/problem+json");
        // 413: over the 1 MiB limit.
        String huge = "{\"type\":\"order.created\",\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}";
        signed(huge, SignedWebhook.SECRET, now()).post("/webhooks/shop").then().statusCode(413);
        // 413 too: under the body limit, but the change made from it (the record in an envelope) is over
        // what Kafka takes. Retrying could never succeed, so not a 503.
        String record = "{\"type\":\"order.created\",\"data\":{\"id\":\"big\",\"updated_at\":\"2026-11-24T10:00:00Z\",\"pad\":\"";
        String nearly = record + "x".repeat(1024 * 1024 - 16 - record.length()) + "\"}}";
        signed(nearly, SignedWebhook.SECRET, now()).post("/webhooks/shop").then().statusCode(413)
                .contentType("application/problem+json").body("detail", containsString("larger than Kafka accepts"));

        assertThat(changesEndOffset()).isEqualTo(before);
    }

    /** A delivery's changes go to Kafka all or none: one too large for Kafka stops the others before any is sent. */
    @Test
    void oneChangeTooLargeForKafkaKeepsTheOthersOfItsDeliveryOffTheTopic() throws Exception {
        long before = changesEndOffset();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.time.Instant at = java.time.Instant.parse("2026-11-24T10:00:00Z");
        var small = new dev.tidemark.change.ChangeEnvelope("shop", "orders", "allornone-1", dev.tidemark.change.Op.UPSERT, at,
                json.readTree("{\"id\":\"allornone-1\"}"), dev.tidemark.change.Origin.WEBHOOK, "t", at);
        var huge = new dev.tidemark.change.ChangeEnvelope("shop", "orders", "allornone-2", dev.tidemark.change.Op.UPSERT, at,
                json.getNodeFactory().objectNode().put("pad", "x".repeat(1024 * 1024)), dev.tidemark.change.Origin.WEBHOOK, "t", at);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> publisher.publish(java.util.List.of(small, huge))
                        .await().atMost(java.time.Duration.ofSeconds(10)))
                .isInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
        Thread.sleep(500);
        assertThat(changesEndOffset()).isEqualTo(before);
    }

    long changesEndOffset() {
        return new ChangesTopic(bootstrap).total();
    }
}
