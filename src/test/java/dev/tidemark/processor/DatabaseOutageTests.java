package dev.tidemark.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.processor.LabHistory.Version;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL really stopped while changes keep arriving on Kafka, then
 * started again: the processor waits and retries, skipping nothing and
 * doubling nothing. The table ends at the true final state and the events
 * are exactly the true edges.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class DatabaseOutageTests {

    @Inject
    ObjectMapper json;

    @Inject
    Pool pool;

    @Inject
    MeterRegistry metrics;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aDatabaseOutageMidStreamSkipsNothingAndDuplicatesNothing() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        String prefix = "outage" + UUID.randomUUID().toString().substring(0, 8);
        LabHistory history = new LabHistory(random, prefix, 5, 10, 20);
        List<ChangeEnvelope> changes = LabHistory.withDuplicates(random, history.inOrder(random));
        int third = changes.size() / 3;
        double deadLettersBefore = deadLetters();

        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            send(producer, changes.subList(0, third));
            // Wait until the first third is in, so the outage really falls mid-stream.
            Version firstLast = lastSentOf(history, changes.subList(0, third));
            await().atMost(Duration.ofSeconds(30)).until(() -> storedAt(firstLast.id()) != null);

            LocalInfraResource.stopPostgres();
            try {
                send(producer, changes.subList(third, 2 * third));
                // The processor now fails its batch against a dead database and retries with back-off.
                Thread.sleep(3000);
            } finally {
                LocalInfraResource.startPostgresAgain();
            }
            send(producer, changes.subList(2 * third, changes.size()));
        }

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                history.histories.forEach((id, versions) -> assertThat(storedAt(id))
                        .as("seed %d: %s", seed, id).isEqualTo(versions.get(versions.size() - 1).at().toString())));
        List<String> events = new ArrayList<>();
        for (Row row : pool.preparedQuery("""
                        SELECT payload::jsonb->'data'->>'rule' AS rule, payload::jsonb->>'subject' AS id, payload::jsonb->'data'->'record'->>'updatedAt' AS at
                        FROM outbox WHERE topic = 'events' AND aggregate_id LIKE $1 ORDER BY seq""")
                .execute(Tuple.of("lab/items/" + prefix + "-%")).await().indefinitely()) {
            events.add(row.getString("rule") + " " + row.getString("id") + " " + java.time.Instant.parse(row.getString("at")));
        }
        assertThat(events).as("seed %d: events against the true edges", seed).containsExactlyInAnyOrderElementsOf(history.trueEdges());
        assertThat(deadLetters()).as("an outage is not poison").isEqualTo(deadLettersBefore);
    }

    void send(KafkaProducer<String, String> producer, List<ChangeEnvelope> changes) throws Exception {
        for (ChangeEnvelope change : changes) {
            producer.send(new ProducerRecord<>("tidemark.changes", change.key().kafkaKey(), json.writeValueAsString(change)));
        }
        producer.flush();
    }

    static Version lastSentOf(LabHistory history, List<ChangeEnvelope> sent) {
        ChangeEnvelope last = sent.get(sent.size() - 1);
        return history.histories.get(last.id()).stream().filter(v -> v.at().equals(last.updatedAt())).findFirst().orElseThrow();
    }

    /** The stored updated_at of lab/items/{id}, or null; null too while the database is down. */
    String storedAt(String id) {
        try {
            var rows = pool.preparedQuery("SELECT updated_at FROM records WHERE source = 'lab' AND resource = 'items' AND id = $1")
                    .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(5));
            return rows.size() == 0 || rows.iterator().next().getOffsetDateTime("updated_at") == null ? null
                    : rows.iterator().next().getOffsetDateTime("updated_at").toInstant().toString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    double deadLetters() {
        var counter = metrics.find("tidemark.processor.dead.letters").counter();
        return counter == null ? 0 : counter.count();
    }
}
