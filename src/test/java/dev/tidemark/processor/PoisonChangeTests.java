package dev.tidemark.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Changes that parse but cannot be stored — a NUL character in the record's
 * JSON and an id too long for the primary key's index, which the database
 * refuses, and an updated_at in the year 300000, which it would keep as
 * infinity — go to the dead-letter topic with the reason, the
 * rest of their batch is applied, and the processor goes on: no amount of
 * retrying would apply them, and retrying them forever would stop every
 * partition the processor holds.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class PoisonChangeTests {

    @Inject
    ObjectMapper json;

    @Inject
    Pool pool;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void changesTheDatabaseRefusesAreDeadLetteredAndTheRestOfTheBatchIsApplied() throws Exception {
        String prefix = "poison" + UUID.randomUUID().toString().substring(0, 8);
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String nulId = prefix + "-nul";
        String futureId = prefix + "-future";
        // Random, so PostgreSQL cannot compress it under the index's 2,704-byte limit.
        StringBuilder random = new StringBuilder();
        java.util.Random digits = new java.util.Random();
        while (random.length() < 4000) {
            random.append(Long.toHexString(digits.nextLong()));
        }
        String longId = prefix + "-" + random;
        List<ChangeEnvelope> batch = List.of(
                change(prefix + "-good1", at, "{\"n\":1}"),
                change(nulId, at, "{\"note\":\"a\\u0000b\"}"),
                change(prefix + "-good2", at, "{\"n\":2}"),
                change(futureId, Instant.parse("+300000-01-01T00:00:00Z"), "{\"n\":3}"),
                change(longId, at, "{\"n\":4}"),
                // A second version of good1 behind the poison: applied in order after the first.
                change(prefix + "-good1", at.plusSeconds(1), "{\"n\":5}"));
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 50), new StringSerializer(), new StringSerializer())) {
            for (ChangeEnvelope change : batch) {
                producer.send(new ProducerRecord<>("tidemark.changes", change.key().kafkaKey(), json.writeValueAsString(change)));
            }
            producer.flush();

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                assertThat(stored(prefix + "-good1")).isEqualTo(at.plusSeconds(1) + " 5");
                assertThat(stored(prefix + "-good2")).isEqualTo(at + " 2");
            });
            Map<String, String> reasons = deadLetterReasons(prefix, 3);
            assertThat(reasons.keySet().stream().map(key -> key.equals("lab/items/" + longId) ? "long id" : key).toList())
                    .containsExactlyInAnyOrder("lab/items/" + nulId, "lab/items/" + futureId, "long id");
            assertThat(reasons.get("lab/items/" + nulId)).contains("SQLSTATE 22P05");
            assertThat(reasons.get("lab/items/" + futureId)).contains("outside the years 1 to 9999");
            assertThat(reasons.get("lab/items/" + longId)).contains("SQLSTATE 54000");
            for (String refused : List.of(nulId, futureId, longId)) {
                assertThat(stored(refused)).as("a refused change writes nothing").isNull();
            }

            // The processor goes on: a change after the poison is applied as any other.
            ChangeEnvelope after = change(prefix + "-after", at, "{\"n\":6}");
            producer.send(new ProducerRecord<>("tidemark.changes", after.key().kafkaKey(), json.writeValueAsString(after))).get();
            await().atMost(Duration.ofSeconds(30)).until(() -> (at + " 6").equals(stored(prefix + "-after")));
        }
        assertThat(pool.preparedQuery("SELECT count(*) AS n FROM outbox WHERE topic = 'records' AND aggregate_id LIKE $1")
                .execute(Tuple.of("lab/items/" + prefix + "-%")).await().indefinitely().iterator().next().getLong("n"))
                .as("one changelog entry per applied state, none for a refused one").isEqualTo(4);
    }

    /**
     * A value that is no change, so large that with the dead-letter headers
     * it no longer fits in a Kafka record: it is dead-lettered without its
     * value (its origin header still says where it is), instead of being
     * retried forever and holding up its partition.
     */
    @Test
    void aDeadLetterTooLargeForKafkaGoesWithoutItsValue() throws Exception {
        String prefix = "poisonbig" + UUID.randomUUID().toString().substring(0, 8);
        String key = "lab/items/" + prefix;
        // Just under the test producer's 1 MiB limit (batch and record overhead, 61 + 21 bytes, and 40 to spare);
        // the dead-letter headers add more than those 40.
        String value = "x".repeat(1024 * 1024 - 61 - 21 - key.length() - 40);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("tidemark.changes", key, value)).get();
        }
        Map<String, String> reasons = deadLetterReasons(prefix, 1);
        assertThat(reasons).containsOnlyKeys(key);
        assertThat(reasons.get(key)).contains("was left out");
    }

    ChangeEnvelope change(String id, Instant updatedAt, String data) throws Exception {
        return new ChangeEnvelope("lab", "items", id, Op.UPSERT, updatedAt, json.readTree(data), Origin.POLL,
                "poison-test", Instant.now());
    }

    /** "updated_at n" of lab/items/{id}, or null if there is no such record. */
    String stored(String id) {
        var rows = pool.preparedQuery("SELECT updated_at, data->>'n' AS n FROM records WHERE source = 'lab' AND resource = 'items' AND id = $1")
                .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(5));
        return rows.size() == 0 ? null
                : rows.iterator().next().getOffsetDateTime("updated_at").toInstant() + " " + rows.iterator().next().getString("n");
    }

    /** Waits for {@code count} dead letters whose key starts with lab/items/{prefix}; their reasons by key. */
    Map<String, String> deadLetterReasons(String prefix, int count) {
        Map<String, String> reasons = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "poison-test-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("tidemark.changes.dlq"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (reasons.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.key() != null && record.key().startsWith("lab/items/" + prefix)) {
                        var header = record.headers().lastHeader(ChangeProcessor.DLQ_REASON_HEADER);
                        reasons.put(record.key(), header == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return reasons;
    }
}
