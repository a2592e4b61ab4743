package dev.tidemark.connections;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.receiver.signature.GenericHmacScheme;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhooks reaching their connection by each of the three routes, over real
 * HTTP, Kafka and PostgreSQL: by URL (with the connection's own secret), by a
 * JSON pointer into each event, by a header; and a verified delivery for an
 * account no connection holds kept in the dead-letter topic until a redrive
 * after the connection exists applies it.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class WebhookRoutingTests {

    private static final GenericHmacScheme SIGNER = new GenericHmacScheme("X-Signature", "sha256",
            GenericHmacScheme.Encoding.HEX, "sha256=", Optional.of("X-Timestamp"), "{timestamp}.{body}",
            Duration.ofMinutes(5), List.of("unused"));

    String run;

    @BeforeEach
    void fresh() {
        run = UUID.randomUUID().toString().substring(0, 8);
    }

    private static Response deliver(String path, String secret, String body, Map<String, String> headers) {
        long now = Instant.now().getEpochSecond();
        var request = given().contentType("application/json").header("X-Timestamp", Long.toString(now))
                .header("X-Signature", SIGNER.sign(secret, Long.toString(now), body.getBytes(StandardCharsets.UTF_8)));
        headers.forEach(request::header);
        return request.body(body.getBytes(StandardCharsets.UTF_8)).post(path);
    }

    private static ValidatableResponse create(String source, String body) {
        return given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body(body)
                .post("/api/sources/" + source + "/connections").then();
    }

    private static void awaitRecord(String source, String connection, String resource, String id, String name) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().header("Authorization", Records.TOKEN)
                .get("/api/sources/" + source + "/connections/" + connection + "/records/" + resource + "/" + id)
                .then().statusCode(200).body("data.name", equalTo(name)).body("connection", equalTo(connection)));
    }

    @Test
    void byUrlWithTheConnectionsOwnSecret() {
        String own = "own-" + run;
        String plain = "plain-" + run;
        create("accounts", "{\"id\":\"" + own + "\",\"variables\":{\"tenant\":\"o\"},\"credentials\":{\"token\":\"t\"},"
                + "\"webhookSecrets\":[\"own-secret-" + run + "\"]}")
                .statusCode(201).body("webhookSecrets.set", equalTo(true));
        create("accounts", "{\"id\":\"" + plain + "\",\"variables\":{\"tenant\":\"p\"},\"credentials\":{\"token\":\"t\"}}")
                .statusCode(201);
        String item = "{\"type\":\"item.changed\",\"data\":{\"id\":\"w-1\",\"updated_at\":\"2026-07-01T00:00:00Z\",\"name\":\"%s\"}}";

        // Its own secret verifies; the source's does not, for a connection with its own.
        deliver("/webhooks/accounts/" + own, "accounts-secret", item.formatted("x"), Map.of()).then().statusCode(401);
        deliver("/webhooks/accounts/" + own, "own-secret-" + run, item.formatted("own"), Map.of()).then().statusCode(202);
        // A connection without its own secrets is verified with the source's.
        deliver("/webhooks/accounts/" + plain, "accounts-secret", item.formatted("plain"), Map.of()).then().statusCode(202);
        awaitRecord("accounts", own, "items", "w-1", "own");
        awaitRecord("accounts", plain, "items", "w-1", "plain");

        deliver("/webhooks/accounts/nobody-" + run, "accounts-secret", item.formatted("x"), Map.of()).then().statusCode(404)
                .body("detail", containsString("No connection"));
        // Without the source's secret, an unknown connection looks like a known one with a bad signature: nothing to learn.
        deliver("/webhooks/accounts/nobody-" + run, "guess", item.formatted("x"), Map.of()).then().statusCode(401);
        deliver("/webhooks/accounts/" + plain, "guess", item.formatted("x"), Map.of()).then().statusCode(401);
        deliver("/webhooks/accounts", "accounts-secret", item.formatted("x"), Map.of()).then().statusCode(404)
                .body("detail", containsString("routes webhooks by URL"));
        deliver("/webhooks/shop/" + own, "shop-secret", item.formatted("x"), Map.of()).then().statusCode(404);
        // A secret the scheme cannot take is refused when the connection is created, naming the field.
        create("platform", "{\"id\":\"z-" + run + "\",\"webhookSecrets\":[\"s\"]}").statusCode(400)
                .body("detail", containsString("webhookSecrets"));
    }

    @Test
    void byPointerAndAnUnknownAccountWaitsForItsConnection() {
        String account = "acct_" + run;
        String charge = "{\"type\":\"charge.updated\",\"account\":\"" + account
                + "\",\"data\":{\"id\":\"ch_1\",\"updated_at\":\"2026-07-02T00:00:00Z\",\"name\":\"paid\"}}";
        deliver("/webhooks/platform", "platform-secret", charge, Map.of()).then().statusCode(202);
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().header("Authorization", Records.TOKEN)
                .get("/api/dlq").then().statusCode(200).body("bySource.platform.pending", org.hamcrest.Matchers.greaterThanOrEqualTo(1)));
        assertThat(dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200).extract().asString())
                .contains("tidemark_processor_unknown_connections_total{reason=\"unknown-connection\",source=\"platform\"}");
        // An event without its account is bad input: refused, nothing kept.
        deliver("/webhooks/platform", "platform-secret", charge.replace("\"account\"", "\"acct\""), Map.of()).then().statusCode(400)
                .body("detail", containsString("/account"));

        String connection = "connected-" + run;
        create("platform", "{\"id\":\"" + connection + "\",\"routingKeys\":[\"" + account + "\"]}").statusCode(201)
                .body("routingKeys[0]", equalTo(account));
        create("platform", "{\"id\":\"thief-" + run + "\",\"routingKeys\":[\"" + account + "\"]}").statusCode(409)
                .body("detail", containsString("routingKeys"));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"source\":\"platform\"}")
                .post("/api/dlq/redrive").then().statusCode(200);
        awaitRecord("platform", connection, "charges", "ch_1", "paid");

        // Once it exists, the account's deliveries go straight to it.
        deliver("/webhooks/platform", "platform-secret", charge.replace("2026-07-02", "2026-07-03").replace("paid", "refunded"), Map.of())
                .then().statusCode(202);
        awaitRecord("platform", connection, "charges", "ch_1", "refunded");
    }

    @Test
    void byHeader() {
        String domain = "shop-" + run + ".example.com";
        String connection = "shop-" + run;
        create("shops", "{\"id\":\"" + connection + "\",\"routingKeys\":[\"" + domain + "\"]}").statusCode(201);
        String product = "{\"type\":\"product.updated\",\"data\":{\"id\":\"p-1\",\"updated_at\":\"2026-07-04T00:00:00Z\",\"name\":\"mug\"}}";
        deliver("/webhooks/shops", "shops-secret", product, Map.of("X-Shop-Domain", domain)).then().statusCode(202);
        awaitRecord("shops", connection, "products", "p-1", "mug");
        deliver("/webhooks/shops", "shops-secret", product, Map.of()).then().statusCode(400)
                .body("detail", containsString("X-Shop-Domain"));
        // Unverified, the header decides nothing.
        deliver("/webhooks/shops", "wrong-secret", product, Map.of("X-Shop-Domain", domain)).then().statusCode(401);
        assertThat(given().header("Authorization", Records.TOKEN).get("/api/records/shops/products/p-1").statusCode()).isEqualTo(404);
    }

    @jakarta.inject.Inject
    dev.tidemark.change.ChangePublisher changes;

    @Test
    void aChangeOfADeletedConnectionIsKeptButNeverRedriven() {
        String ghost = "ghost-" + run;
        changes.publish(dev.tidemark.change.ChangeEnvelope.of(new dev.tidemark.change.Connection("accounts", ghost), "items", "i-1",
                dev.tidemark.change.Op.UPSERT, Instant.parse("2026-07-05T00:00:00Z"),
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("id", "i-1"),
                dev.tidemark.change.Origin.POLL, "poll:" + run, Instant.now())).await().atMost(Duration.ofSeconds(10));
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(dev.tidemark.support.Management.given()
                .get("/q/metrics").then().statusCode(200).extract().asString())
                .contains("tidemark_processor_unknown_connections_total{reason=\"deleted-connection\",source=\"accounts\"}"));
        // Created now, a connection of that id must not receive the old account's change.
        create("accounts", "{\"id\":\"" + ghost + "\",\"variables\":{\"tenant\":\"g\"},\"credentials\":{\"token\":\"t\"}}")
                .statusCode(201);
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"source\":\"accounts\"}")
                .post("/api/dlq/redrive").then().statusCode(200).body("deletedConnections", org.hamcrest.Matchers.greaterThanOrEqualTo(1));
        given().header("Authorization", Records.TOKEN).get("/api/sources/accounts/connections/" + ghost + "/records/items/i-1")
                .then().statusCode(404);
    }
}
