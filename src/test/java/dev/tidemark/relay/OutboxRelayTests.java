package dev.tidemark.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.processor.ChangeProcessor;
import dev.tidemark.support.ChangesTopic;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The relay against a real broker: events come out as CloudEvents 1.0
 * structured JSON, the changelog as the read API's records and tombstones,
 * and a crash between publishing and marking neither loses an event nor
 * makes a second distinct one.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class OutboxRelayTests {

    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ChangeProcessor processor;

    @Inject
    OutboxRelay relay;

    @Inject
    Pool pool;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @AfterEach
    void noMoreCrashes() {
        relay.afterPublish(published -> Uni.createFrom().voidItem());
    }

    static ChangeEnvelope change(String id, int second, String data) throws Exception {
        return new ChangeEnvelope("lab", "items", id, data == null ? Op.DELETE : Op.UPSERT,
                Instant.parse("2026-11-25T10:00:00Z").plusSeconds(second), data == null ? null : JSON.readTree(data),
                Origin.WEBHOOK, "relay-test-" + second, Instant.now());
    }

    @Test
    void eventsAreCloudEventsAndTheChangelogEndsInATombstone() throws Exception {
        String id = "relay-" + UUID.randomUUID();
        ChangesTopic events = new ChangesTopic(bootstrap, "tidemark.events");
        ChangesTopic records = new ChangesTopic(bootstrap, "tidemark.records");
        var eventsMark = events.endOffsets();
        var recordsMark = records.endOffsets();

        processor.apply(List.of(change(id, 1, "{\"amount\":5000,\"flag\":true}"), change(id, 2, "{\"amount\":12000,\"flag\":false}"),
                change(id, 3, null))).await().atMost(Duration.ofSeconds(30));

        // created@1, crossed-10k@2, unflagged@2, deleted@3
        List<ConsumerRecord<String, String>> mine = mine(events.readAfter(eventsMark, r -> mine(r, id).size() >= 4), id);
        assertThat(mine).hasSize(4);
        JsonNode crossed = null;
        for (ConsumerRecord<String, String> record : mine) {
            JsonNode event = JSON.readTree(record.value());
            assertThat(record.key()).isEqualTo("lab/items/" + id);
            assertThat(event.get("specversion").asText()).isEqualTo("1.0");
            assertThat(event.get("source").asText()).isEqualTo("tidemark/lab/items");
            assertThat(event.get("subject").asText()).isEqualTo(id);
            assertThat(event.get("datacontenttype").asText()).isEqualTo("application/json");
            assertThat(event.get("data").get("origin").asText()).isEqualTo("webhook");
            if (event.get("type").asText().equals("lab.item.crossed-10k")) {
                crossed = event;
            }
        }
        assertThat(mine.stream().map(r -> type(r)).toList())
                .containsExactly("lab.item.created", "lab.item.crossed-10k", "lab.item.unflagged", "lab.item.deleted");
        assertThat(crossed).isNotNull();
        assertThat(Instant.parse(crossed.get("time").asText())).isEqualTo(Instant.parse("2026-11-25T10:00:02Z"));
        assertThat(crossed.get("data").get("rule").asText()).isEqualTo("lab-over-10k");
        assertThat(crossed.get("data").get("record").get("data").get("amount").asInt()).isEqualTo(12000);
        assertThat(crossed.get("data").get("previous").get("data").get("amount").asInt()).isEqualTo(5000);

        List<ConsumerRecord<String, String>> changelog = mine(records.readAfter(recordsMark, r -> mine(r, id).size() >= 3), id);
        assertThat(changelog).hasSize(3);
        assertThat(JSON.readTree(changelog.get(0).value()).get("data").get("amount").asInt()).isEqualTo(5000);
        assertThat(JSON.readTree(changelog.get(1).value()).get("updatedAt").asText()).isEqualTo("2026-11-25T10:00:02Z");
        assertThat(changelog.get(2).value()).as("a delete is a tombstone on the compacted changelog").isNull();
    }

    @Test
    void theNewestEventsCanBeReadThroughTheApi() throws Exception {
        String id = "api-" + UUID.randomUUID();
        processor.apply(List.of(change(id, 1, "{\"amount\":5000}"), change(id, 2, "{\"amount\":15000}")))
                .await().atMost(Duration.ofSeconds(30));

        String body = given().header("Authorization", "Bearer test-token")
                .queryParam("source", "lab").queryParam("resource", "items").queryParam("type", "lab.item.crossed-10k")
                .queryParam("limit", 5)
                .get("/api/events").then().statusCode(200).contentType("application/json").extract().asString();
        JsonNode events = JSON.readTree(body).get("events");
        assertThat(events.size()).isBetween(1, 5);
        JsonNode newest = events.get(0);
        assertThat(newest.get("subject").asText()).isEqualTo(id);
        assertThat(newest.get("type").asText()).isEqualTo("lab.item.crossed-10k");
        assertThat(newest.get("data").get("record").get("data").get("amount").asInt()).isEqualTo(15000);
        for (JsonNode event : events) {
            assertThat(event.get("type").asText()).isEqualTo("lab.item.crossed-10k");
        }
        // Another source's filter does not see it; bad parameters and a missing token are refused.
        assertThat(given().header("Authorization", "Bearer test-token").queryParam("source", "shop")
                .get("/api/events").then().statusCode(200).extract().asString()).doesNotContain(id);
        given().header("Authorization", "Bearer test-token").queryParam("limit", 0).get("/api/events")
                .then().statusCode(400).contentType("application/problem+json");
        given().header("Authorization", "Bearer test-token").queryParam("limit", "many").get("/api/events").then().statusCode(400);
        given().header("Authorization", "Bearer test-token").queryParam("resource", "items").get("/api/events").then().statusCode(400);
        given().get("/api/events").then().statusCode(401);
    }

    @Test
    void aCrashBetweenPublishAndMarkRepublishesTheSameEventsAndLosesNone() throws Exception {
        String id = "crash-" + UUID.randomUUID();
        ChangesTopic events = new ChangesTopic(bootstrap, "tidemark.events");
        var mark = events.endOffsets();
        AtomicInteger crashes = new AtomicInteger();
        // The first pass that publishes this record's rows dies before it can mark them.
        relay.afterPublish(published -> published.stream().anyMatch(row -> row.key().equals("lab/items/" + id))
                && crashes.getAndIncrement() == 0
                ? Uni.createFrom().failure(new IllegalStateException("relay killed after publishing, before marking"))
                : Uni.createFrom().voidItem());

        processor.apply(List.of(change(id, 1, "{\"amount\":20000}"), change(id, 2, "{\"amount\":1}"),
                change(id, 3, "{\"amount\":30000}"))).await().atMost(Duration.ofSeconds(30));
        // The failed pass marked nothing; the next wake (here, the poll's job) sends the same rows again.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            relay.trigger();
            assertThat(unpublished(id)).isZero();
        });
        assertThat(crashes.get()).isEqualTo(2);

        // created@1, crossed@1, crossed@3: each published at least once, every copy identical.
        List<ConsumerRecord<String, String>> mine = mine(events.readAfter(mark, r -> distinctIds(mine(r, id)).size() >= 3
                && mine(r, id).size() >= 6), id);
        Map<String, Set<String>> copies = new HashMap<>();
        for (ConsumerRecord<String, String> record : mine) {
            copies.computeIfAbsent(JSON.readTree(record.value()).get("id").asText(), k -> new java.util.HashSet<>()).add(record.value());
        }
        assertThat(copies).hasSize(3);
        assertThat(copies.values()).allSatisfy(values -> assertThat(values).hasSize(1));
        assertThat(mine.size()).as("the crashed pass's events went out twice").isEqualTo(6);
    }

    /**
     * A row larger than Kafka accepts (an event quotes its record and the one
     * before: two large records make one too large) is marked unpublishable
     * with the reason, and the rows behind it go out: it must not hold up the
     * outbox, which the relay publishes oldest first.
     */
    @Test
    void aRowKafkaWillNeverTakeIsMarkedAndDoesNotHoldUpTheRowsBehindIt() throws Exception {
        String big = "big-" + UUID.randomUUID();
        String id = "behind-" + UUID.randomUUID();
        ChangesTopic events = new ChangesTopic(bootstrap, "tidemark.events");
        var mark = events.endOffsets();
        String payload = "{\"specversion\":\"1.0\",\"data\":\"" + "x".repeat(1_500_000) + "\"}";
        pool.preparedQuery("INSERT INTO outbox (id, topic, aggregate_id, type, payload) VALUES ($1, 'events', $2, 'lab.item.created', $3)")
                .execute(Tuple.of(UUID.randomUUID().toString(), "lab/items/" + big, payload)).await().indefinitely();
        processor.apply(List.of(change(id, 1, "{\"amount\":20000}"))).await().atMost(Duration.ofSeconds(30));

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            relay.trigger();
            assertThat(unpublished(id)).isZero();
            assertThat(unpublished(big)).isZero();
        });
        String reason = pool.preparedQuery("SELECT unpublishable FROM outbox WHERE aggregate_id = $1")
                .execute(Tuple.of("lab/items/" + big)).await().indefinitely().iterator().next().getString("unpublishable");
        assertThat(reason).startsWith("too large for Kafka");
        assertThat(pool.preparedQuery("SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND unpublishable IS NOT NULL")
                .execute(Tuple.of("lab/items/" + id)).await().indefinitely().iterator().next().getLong("n")).isZero();
        List<ConsumerRecord<String, String>> mine = mine(events.readAfter(mark, r -> mine(r, id).size() >= 2), id);
        assertThat(mine.stream().map(r -> type(r)).toList()).containsExactly("lab.item.created", "lab.item.crossed-10k");
    }

    /**
     * A provider with one-second timestamps: a record goes A, B and back to A
     * within the same second, and polls apply each (a poll is authoritative on
     * a tie). The third state has the first one's timestamp and content, and
     * still gets its own changelog entry: the compacted changelog ends at A,
     * as the table does.
     */
    @Test
    void aRecordReturningToAnEarlierStateWithinOneTimestampEndsTheChangelogThere() throws Exception {
        String id = "abba-" + UUID.randomUUID();
        ChangesTopic records = new ChangesTopic(bootstrap, "tidemark.records");
        var mark = records.endOffsets();
        for (String state : List.of("{\"amount\":1}", "{\"amount\":2}", "{\"amount\":1}")) {
            ChangeEnvelope poll = new ChangeEnvelope("lab", "items", id, Op.UPSERT, Instant.parse("2026-11-25T10:00:01Z"),
                    JSON.readTree(state), Origin.POLL, "relay-test-poll", Instant.now());
            processor.apply(List.of(poll)).await().atMost(Duration.ofSeconds(30));
        }
        // A redelivery of the last poll is a duplicate: no fourth entry.
        processor.apply(List.of(new ChangeEnvelope("lab", "items", id, Op.UPSERT, Instant.parse("2026-11-25T10:00:01Z"),
                JSON.readTree("{\"amount\":1}"), Origin.POLL, "relay-test-poll", Instant.now()))).await().atMost(Duration.ofSeconds(30));

        List<ConsumerRecord<String, String>> changelog = mine(records.readAfter(mark, r -> mine(r, id).size() >= 3), id);
        assertThat(changelog.stream().map(r -> {
            try {
                return JSON.readTree(r.value()).get("data").get("amount").asInt();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList()).containsExactly(1, 2, 1);
        assertThat(pool.preparedQuery("SELECT count(*) AS n FROM outbox WHERE topic = 'records' AND aggregate_id = $1")
                .execute(Tuple.of("lab/items/" + id)).await().indefinitely().iterator().next().getLong("n")).isEqualTo(3);
    }

    long unpublished(String id) {
        return pool.preparedQuery("SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND published_at IS NULL")
                .execute(Tuple.of("lab/items/" + id)).await().indefinitely().iterator().next().getLong("n");
    }

    static List<ConsumerRecord<String, String>> mine(List<ConsumerRecord<String, String>> records, String id) {
        return records.stream().filter(r -> ("lab/items/" + id).equals(r.key())).toList();
    }

    static Set<String> distinctIds(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(r -> {
            try {
                return JSON.readTree(r.value()).get("id").asText();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).collect(Collectors.toSet());
    }

    static String type(ConsumerRecord<String, String> record) {
        try {
            return JSON.readTree(record.value()).get("type").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
