package dev.tidemark.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ChangesTopic;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The ordering policy (docs/architecture.md), last row: a webhook with the stored updated_at
 * and other content cannot be ordered. It is dropped (the record keeps what
 * it had, no event fires) and an op=refetch change for the record goes to
 * tidemark.changes, where the poller picks it up; a poll with the same tie
 * is a fresh authoritative read and is applied.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class ConflictRefetchTests {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant AT = Instant.parse("2026-11-25T12:00:00Z");

    @Inject
    ChangeProcessor processor;

    @Inject
    ObjectMapper appJson;

    @Inject
    Pool pool;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    static ChangeEnvelope change(String id, Origin origin, String data) throws Exception {
        return new ChangeEnvelope("lab", "items", id, Op.UPSERT, AT, JSON.readTree(data), origin, "conflict-" + origin, AT);
    }

    @Test
    void aWebhookThatTiesWithOtherContentIsDroppedAndAsksForARefetch() throws Exception {
        String id = "tie-" + UUID.randomUUID();
        ChangesTopic changes = new ChangesTopic(bootstrap);
        processor.apply(List.of(change(id, Origin.WEBHOOK, "{\"amount\":5000}"))).await().atMost(Duration.ofSeconds(30));
        var mark = changes.endOffsets();

        processor.apply(List.of(change(id, Origin.WEBHOOK, "{\"amount\":50000}"))).await().atMost(Duration.ofSeconds(30));

        assertThat(storedAmount(id)).as("the conflicting webhook is not applied").isEqualTo(5000);
        assertThat(events(id, "lab.item.crossed-10k")).as("and fires nothing").isZero();
        List<ConsumerRecord<String, String>> refetches = changes.readAfter(mark,
                records -> records.stream().anyMatch(r -> r.key().equals("lab/items/" + id)));
        ConsumerRecord<String, String> request = refetches.stream().filter(r -> r.key().equals("lab/items/" + id)).findFirst().orElseThrow();
        JsonNode envelope = JSON.readTree(request.value());
        assertThat(envelope.get("op").asText()).isEqualTo("refetch");
        assertThat(envelope.get("id").asText()).isEqualTo(id);
        assertThat(envelope.get("data").isNull()).isTrue();
        assertThat(Instant.parse(envelope.get("updatedAt").asText())).isEqualTo(AT);
        // It is a valid change: the processor reads it back (and leaves it to the poller).
        assertThat(appJson.readValue(request.value(), ChangeEnvelope.class).op()).isEqualTo(Op.REFETCH);

        // A poll with the same tie is an authoritative read: applied, and the edge fires.
        processor.apply(List.of(change(id, Origin.POLL, "{\"amount\":50000}"))).await().atMost(Duration.ofSeconds(30));
        assertThat(storedAmount(id)).isEqualTo(50000);
        assertThat(events(id, "lab.item.crossed-10k")).isEqualTo(1);
    }

    int storedAmount(String id) {
        return pool.preparedQuery("SELECT (data->>'amount')::int AS amount FROM records WHERE source = 'lab' AND resource = 'items' AND id = $1")
                .execute(Tuple.of(id)).await().indefinitely().iterator().next().getInteger("amount");
    }

    long events(String id, String type) {
        return pool.preparedQuery("SELECT count(*) AS n FROM outbox WHERE topic = 'events' AND aggregate_id = $1 AND type = $2")
                .execute(Tuple.of("lab/items/" + id, type)).await().indefinitely().iterator().next().getLong("n");
    }
}
