package dev.tidemark.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/dlq}: dead letters counted by source, and redriven into
 * {@code tidemark.changes} — one source's or all, each once; one that still
 * cannot be applied lands on the dead-letter topic again.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class DeadLetterTests {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    Pool pool;

    void deadLetter(String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("tidemark.changes.dlq", key, value)).get();
        }
    }

    boolean applied(String source, String id) {
        return pool.preparedQuery("SELECT 1 FROM records WHERE source = $1 AND resource = 'items' AND id = $2 AND updated_at IS NOT NULL")
                .execute(Tuple.of(source, id)).await().atMost(Duration.ofSeconds(5)).size() == 1;
    }

    @Test
    void deadLettersAreCountedBySourceAndRedrivenOnceEach() throws Exception {
        String fixed = "dlqfixed" + UUID.randomUUID().toString().substring(0, 6);
        String broken = "dlqbroken" + UUID.randomUUID().toString().substring(0, 6);
        // A change dead-lettered while something was wrong that is right now, and one that is still poison.
        deadLetter(fixed + "/items/r1", """
                {"source":"%s","resource":"items","id":"r1","op":"upsert","updatedAt":"2026-11-01T10:00:00Z",
                 "data":{"amount":5},"origin":"webhook","deliveryId":"d-r1","observedAt":"2026-11-01T10:00:01Z"}""".formatted(fixed));
        deadLetter(broken + "/items/x", "{not json");

        // Counts are cached for a few seconds (a status page in every tab must not read the topic each time).
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", Records.TOKEN)
                .get("/api/dlq").then().statusCode(200)
                .body("bySource." + fixed + ".total", equalTo(1)).body("bySource." + fixed + ".pending", equalTo(1))
                .body("bySource." + broken + ".pending", equalTo(1)).body("pending", greaterThanOrEqualTo(2)));

        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"source\":\"" + fixed + "\"}")
                .post("/api/dlq/redrive").then().statusCode(200)
                .body("redriven", equalTo(1)).body("alreadyRedriven", equalTo(0)).body("otherSources", greaterThanOrEqualTo(1));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> applied(fixed, "r1"));
        assertThat(applied(broken, "x")).isFalse();

        // Each once: the same call again sends nothing.
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"source\":\"" + fixed + "\"}")
                .post("/api/dlq/redrive").then().statusCode(200).body("redriven", equalTo(0)).body("alreadyRedriven", equalTo(1));

        // All of them, with no body: the poison goes round and is dead-lettered again, pending once more.
        given().header("Authorization", Records.TOKEN).post("/api/dlq/redrive").then().statusCode(200)
                .body("redriven", greaterThanOrEqualTo(1)).body("otherSources", equalTo(0));
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", Records.TOKEN)
                .get("/api/dlq").then().statusCode(200)
                .body("bySource." + broken + ".total", equalTo(2)).body("bySource." + broken + ".pending", equalTo(1))
                .body("bySource." + fixed + ".pending", equalTo(0)));
    }

    @Test
    void aSecondRedriveWhileOneIsUnderWayIsRefusedRatherThanSendingTheSameLettersTwice() {
        io.vertx.mutiny.sqlclient.SqlConnection other = pool.getConnection().await().atMost(Duration.ofSeconds(5));
        try {
            // As a redrive in another replica holds it.
            other.query("SELECT pg_advisory_lock(hashtext('tidemark-dlq-redrive'))").execute().await().atMost(Duration.ofSeconds(5));
            given().header("Authorization", Records.TOKEN).post("/api/dlq/redrive").then().statusCode(409)
                    .body("detail", startsWith("another redrive is under way"));
        } finally {
            other.query("SELECT pg_advisory_unlock(hashtext('tidemark-dlq-redrive'))").execute().await().atMost(Duration.ofSeconds(5));
            other.closeAndForget();
        }
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"source\":\"nobody\"}")
                .post("/api/dlq/redrive").then().statusCode(200).body("redriven", equalTo(0));
    }

    @Test
    void aBlankSourceIsRefusedAndTheCallsNeedTheToken() {
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"source\":\" \"}")
                .post("/api/dlq/redrive").then().statusCode(400).body("detail", startsWith("source: a source name"));
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("[\"billing\"]")
                .post("/api/dlq/redrive").then().statusCode(400).body("detail", startsWith("the body is {\"source\""));
        given().header("Authorization", Records.TOKEN).body("source=billing").post("/api/dlq/redrive").then().statusCode(400)
                .body("detail", startsWith("the body is not JSON"));
        given().post("/api/dlq/redrive").then().statusCode(401);
        given().get("/api/dlq").then().statusCode(401);
    }
}
