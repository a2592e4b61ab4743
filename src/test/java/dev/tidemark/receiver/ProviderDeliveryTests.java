package dev.tidemark.receiver;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.receiver.signature.Hmac;
import dev.tidemark.support.ChangesTopic;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** Deliveries shaped like real providers' (see the %test sources in application.yaml), over real HTTP and Kafka. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class ProviderDeliveryTests {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/webhooks/shop")
    URI shop;

    static String hex(String secret, byte[] content) {
        return HexFormat.of().formatHex(Hmac.sign(Hmac.SHA256, secret.getBytes(StandardCharsets.UTF_8), content));
    }

    @Test
    void githubTakesTheEventTypeAndDeliveryIdFromItsHeaders() {
        long issue = System.nanoTime();
        String delivery = UUID.randomUUID().toString();
        String body = "{\"action\":\"edited\",\"issue\":{\"id\":" + issue + ",\"updated_at\":\"2026-11-24T10:00:00Z\",\"title\":\"Flaky\"}}";
        given().contentType("application/json").header("X-GitHub-Event", "issues").header("X-GitHub-Delivery", delivery)
                .header("X-Hub-Signature-256", "sha256=" + hex("gh-secret", body.getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/webhooks/gh")
                .then().statusCode(202).body("deliveryId", equalTo(delivery));
        Records.await("gh/issues/" + issue, r -> r.body("data.title", equalTo("Flaky")));

        String ping = "{\"zen\":\"Keep it logically awesome.\"}";
        given().contentType("application/json").header("X-GitHub-Event", "ping")
                .header("X-Hub-Signature-256", "sha256=" + hex("gh-secret", ping.getBytes(StandardCharsets.UTF_8)))
                .body(ping).post("/webhooks/gh")
                .then().statusCode(200).body("ignored", containsString("ping"));

        given().contentType("application/json")
                .header("X-Hub-Signature-256", "sha256=" + hex("gh-secret", body.getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/webhooks/gh")
                .then().statusCode(400).contentType("application/problem+json").body("detail", containsString("X-GitHub-Event"));
    }

    /**
     * The github template as Quarkus loads it (META-INF/services): GitHub's own issues.deleted example, signed, over
     * HTTP, deletes the issue an earlier edit of it stored.
     */
    @Test
    void theGithubTemplateMapsGitHubsOwnDeletedExampleToADeleteOverHttp() throws Exception {
        JsonNode examples = dev.tidemark.providers.GithubTemplateTest.examples();
        JsonNode issues = null;
        for (JsonNode event : examples) {
            issues = event.get("name").textValue().equals("issues") ? event : issues;
        }
        com.fasterxml.jackson.databind.node.ObjectNode edited = null;
        com.fasterxml.jackson.databind.node.ObjectNode deleted = null;
        for (JsonNode example : issues.get("examples")) {
            if (example.get("action").textValue().equals("deleted")) {
                deleted = example.deepCopy();
            } else if (example.get("action").textValue().equals("edited")) {
                edited = example.deepCopy();
            }
        }
        // A number of this test run's own, so an earlier run's record is not the one found.
        long number = System.nanoTime() % 1_000_000_000L;
        ((com.fasterxml.jackson.databind.node.ObjectNode) edited.get("issue")).put("number", number)
                .put("updated_at", "2026-11-30T10:00:00Z");
        ((com.fasterxml.jackson.databind.node.ObjectNode) deleted.get("issue")).put("number", number)
                .put("updated_at", "2026-11-30T10:05:00Z");
        for (JsonNode example : new JsonNode[] {edited, deleted}) {
            byte[] body = JSON.writeValueAsBytes(example);
            given().contentType("application/json").header("X-GitHub-Event", "issues").header("X-GitHub-Delivery", UUID.randomUUID().toString())
                    .header("X-Hub-Signature-256", "sha256=" + hex("ghtemplate-secret", body)).body(body).post("/webhooks/ghtemplate")
                    .then().statusCode(202).body("changes", equalTo(1));
        }
        Records.await("ghtemplate/issues/" + number, r -> r.body("deleted", equalTo(true)));
        // Signed with another secret: refused.
        byte[] body = JSON.writeValueAsBytes(edited);
        given().contentType("application/json").header("X-GitHub-Event", "issues").header("X-Hub-Signature-256", "sha256=" + hex("gh-secret", body))
                .body(body).post("/webhooks/ghtemplate").then().statusCode(401);
    }

    /** Slack's check of the Request URL (its docs' example), signed as Slack signs it: the challenge comes back as text. */
    @Test
    void slacksUrlCheckIsAnsweredWithItsChallengeOnceVerified() throws Exception {
        String body = "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\","
                + "\"type\":\"url_verification\"}";
        String ts = Long.toString(Instant.now().getEpochSecond());
        given().contentType("application/json").header("X-Slack-Request-Timestamp", ts)
                .header("X-Slack-Signature", "v0=" + hex("slack-secret", ("v0:" + ts + ":" + body).getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/webhooks/chat")
                .then().statusCode(200).contentType(startsWith("text/plain")).body(equalTo("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
        // Unsigned, or signed with another secret: 401, and no challenge is echoed.
        given().contentType("application/json").header("X-Slack-Request-Timestamp", ts)
                .header("X-Slack-Signature", "v0=" + hex("other", ("v0:" + ts + ":" + body).getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/webhooks/chat")
                .then().statusCode(401).body(org.hamcrest.Matchers.not(containsString("3eZbrw1a")));
    }

    @Test
    void slackSendsFormEncodedInteractivityPayloads() throws Exception {
        String trigger = "trig-" + System.nanoTime();
        String payload = "{\"type\":\"block_actions\",\"trigger_id\":\"" + trigger + "\",\"action_ts\":\"1795514400.123456\",\"user\":{\"id\":\"U1\"}}";
        String body = "payload=" + URLEncoder.encode(payload, StandardCharsets.UTF_8);
        String ts = Long.toString(Instant.now().getEpochSecond());
        // Exact bytes, as Slack sends them (RestAssured would re-encode a form body).
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(shop.resolve("/webhooks/chat"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("X-Slack-Request-Timestamp", ts)
                        .header("X-Slack-Signature", "v0=" + hex("slack-secret", ("v0:" + ts + ":" + body).getBytes(StandardCharsets.UTF_8)))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        Records.await("chat/actions/" + trigger, r -> r.body("updatedAt", equalTo("2026-11-24T10:00:00.123456Z"))
                .body("data.user.id", equalTo("U1")));
    }

    @Test
    void aThinDeliveryBecomesARefetchWithoutData() throws Exception {
        ChangesTopic topic = new ChangesTopic(bootstrap);
        var mark = topic.endOffsets();
        String ticket = "T-" + System.nanoTime();
        String body = "{\"type\":\"ticket.changed\",\"ticket_id\":\"" + ticket + "\",\"occurred_at\":1795514400}";
        given().contentType("application/json").header("X-Signature", hex("thin-secret", body.getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/webhooks/thin").then().statusCode(202).body("changes", equalTo(1));

        var records = topic.readAfter(mark, 1);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).key()).isEqualTo("thin/tickets/" + ticket);
        JsonNode envelope = JSON.readTree(records.get(0).value());
        assertThat(envelope.get("op").asText()).isEqualTo("refetch");
        assertThat(envelope.get("origin").asText()).isEqualTo("webhook");
        assertThat(envelope.get("updatedAt").asText()).isEqualTo("2026-11-24T10:00:00Z");
        assertThat(envelope.get("data").isNull()).isTrue();
        assertThat(envelope.get("deliveryId").asText()).startsWith("sha256:");
    }

    @Test
    void anOversizedBodyIsRefusedWhileBeingReadEvenWithoutALength() throws Exception {
        ChangesTopic topic = new ChangesTopic(bootstrap);
        var mark = topic.endOffsets();
        long before = topic.total();
        double tooLargeBefore = tooLargeCount();
        String marker = "oversized-" + java.util.UUID.randomUUID();
        byte[] huge = ("{\"type\":\"order.created\",\"id\":\"" + marker + "\",\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}")
                .getBytes(StandardCharsets.UTF_8);

        // Declared length over the limit: refused before the body is read, with a problem body.
        given().contentType("application/json").header("X-Signature", "sha256=00").body(huge).post("/webhooks/shop")
                .then().statusCode(413).contentType("application/problem+json").body("status", equalTo(413));

        // No length (chunked): the server stops reading at the limit and answers 413.
        assertThat(postChunked(huge)).startsWith("HTTP/1.1 413");
        // Nothing of these deliveries reached the topic. Other parts of the app share it and may write meanwhile
        // (the poller's refetches; a delivery an earlier test was answered 503 for, sent once Kafka came back),
        // so neither the topic's count nor the source is the measure: the delivery's own marker is.
        var written = topic.readAfter(mark, (int) (topic.total() - before));
        assertThat(written).noneMatch(record -> record.value() != null && record.value().contains(marker));
        // Both refusals are counted as too_large, whichever part of the server made them.
        assertThat(tooLargeCount()).isEqualTo(tooLargeBefore + 2);
    }

    /** tidemark_webhook_deliveries_total{outcome="too_large",source="shop"} from /q/metrics, 0 before the first. */
    double tooLargeCount() {
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines()
                .filter(line -> line.startsWith("tidemark_webhook_deliveries_total{")
                        && line.contains("outcome=\"too_large\"") && line.contains("source=\"shop\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Sends a body chunk by chunk over a raw socket, as a client with no Content-Length does, and returns the status line. */
    String postChunked(byte[] body) throws Exception {
        try (java.net.Socket socket = new java.net.Socket(shop.getHost(), shop.getPort())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(("POST /webhooks/shop HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "X-Signature: sha256=00\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            try {
                for (int at = 0; at < body.length; at += 8192) {
                    int length = Math.min(8192, body.length - at);
                    out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body, at, length);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (java.io.IOException closedWhileSending) {
                // The server may answer and close before the whole body is sent.
            }
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            return String.valueOf(in.readLine());
        }
    }
}
