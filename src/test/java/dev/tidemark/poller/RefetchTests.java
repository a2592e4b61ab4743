package dev.tidemark.poller;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulator.Fault;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.SignedWebhook;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * op=refetch changes served by the poller: a thin webhook end to end, a
 * record the provider no longer has, and a burst of requests for one record.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class RefetchTests {

    @Inject
    ChangePublisher changes;

    @Inject
    Pool pool;

    ProviderSimulator provider;

    @BeforeEach
    void fresh() {
        provider = ProviderSimulatorResource.fresh();
    }

    static ChangeEnvelope refetch(String id, Instant observed) {
        // Each a delivery of its own: a delivery id seen before is a replay, and is not served again.
        return new ChangeEnvelope("sim", "cursor-items", id, Op.REFETCH, observed, null, Origin.WEBHOOK, "test-" + UUID.randomUUID(),
                observed);
    }

    @Test
    void aThinWebhookIsAnsweredWithTheRecordTheProviderHolds() {
        String id = "thin-" + UUID.randomUUID();
        provider.put(id, Instant.parse("2026-07-01T10:00:00.123456Z"), 4_242);
        String body = "{\"type\":\"item.touched\",\"id\":\"" + id + "\"}";
        long now = Instant.now().getEpochSecond();
        given().contentType("application/json").header("X-Timestamp", Long.toString(now))
                .header("X-Signature", SignedWebhook.signature(SignedWebhook.SECRET, now, body))
                .body(body.getBytes(StandardCharsets.UTF_8)).post("/webhooks/sim").then().statusCode(202);
        Records.await("sim/cursor-items/" + id, response -> response.body("data.amount", equalTo(4_242))
                .body("updatedAt", equalTo("2026-07-01T10:00:00.123456Z")));
        assertThat(provider.recordCalls()).isEqualTo(1);
    }

    /**
     * A captured delivery replayed as it was (the same signed timestamp and signature) under a fresh, unsigned
     * delivery id each time, as anyone who captured it can: one provider call, the replays kept for after the
     * window. A new delivery of the same body (a second real change: a new signed timestamp) is served at once.
     */
    @Test
    void aReplayedThinDeliveryCostsNoFurtherProviderCall() {
        String id = "replayed-" + UUID.randomUUID();
        provider.put(id, Instant.parse("2026-07-03T10:00:00Z"), 17);
        String body = "{\"type\":\"item.touched\",\"id\":\"" + id + "\"}";
        double replayedBefore = replayed();
        long captured = Instant.now().getEpochSecond();
        String signature = SignedWebhook.signature(SignedWebhook.SECRET, captured, body);
        for (int replay = 0; replay < 5; replay++) {
            given().contentType("application/json").header("X-Timestamp", Long.toString(captured)).header("X-Signature", signature)
                    .header("X-Delivery-Id", "captured-" + replay)
                    .body(body.getBytes(StandardCharsets.UTF_8)).post("/webhooks/sim").then().statusCode(202);
            if (replay == 0) {
                Records.await("sim/cursor-items/" + id, response -> response.body("data.amount", equalTo(17)));
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> replayed() - replayedBefore >= 4);
        assertThat(provider.recordCalls()).as("one provider call for five deliveries of one captured body").isEqualTo(1);
        assertThat(pending(id)).as("the replays kept for after the window, as one").isEqualTo(1);

        provider.put(id, Instant.parse("2026-07-03T11:00:00Z"), 18);
        long later = captured + 1;
        given().contentType("application/json").header("X-Timestamp", Long.toString(later))
                .header("X-Signature", SignedWebhook.signature(SignedWebhook.SECRET, later, body))
                .body(body.getBytes(StandardCharsets.UTF_8)).post("/webhooks/sim").then().statusCode(202);
        Records.await("sim/cursor-items/" + id, response -> response.body("data.amount", equalTo(18)));
        assertThat(provider.recordCalls()).as("the second real change, served at once").isEqualTo(2);
    }

    static double replayed() {
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(line -> line.startsWith("tidemark_poller_refetches_total{") && line.contains("outcome=\"replayed\"")
                        && line.contains("source=\"sim\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aRecordTheProviderNoLongerHasIsDeletedAndABurstOfRequestsCostsOneCall() {
        String id = "gone-" + UUID.randomUUID();
        provider.put(id, Instant.parse("2026-07-02T10:00:00Z"), 7);
        changes.publish(refetch(id, Instant.now())).await().atMost(Duration.ofSeconds(10));
        Records.await("sim/cursor-items/" + id, response -> response.body("data.amount", equalTo(7)));

        provider.delete(id);
        provider.reset();
        Instant asked = Instant.now();
        List<ChangeEnvelope> burst = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            burst.add(refetch(id, asked));
        }
        changes.publish(burst).await().atMost(Duration.ofSeconds(10));
        Records.await("sim/cursor-items/" + id, response -> response.body("deleted", equalTo(true)));
        Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(provider.recordCalls()).isEqualTo(1));
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().extract().asString();
        assertThat(metrics).contains("tidemark_poller_refetches_total{outcome=\"answered-already\",resource=\"cursor-items\",source=\"sim\"} 4.0");
    }

    /**
     * The provider cannot read a record yet (read-after-write lag) when its
     * thin webhook is served: the delete that 404 means is stamped at the
     * request's updated_at, not at our clock, so once the provider serves the
     * record at that updated_at, it is restored. Stamped at our clock, the
     * tombstone would be newer than the record and hide it until its next
     * change.
     */
    @Test
    void aRecordNotYetReadableIsRestoredOnceTheProviderServesIt() {
        String id = "lag-" + UUID.randomUUID();
        Instant created = Instant.parse("2026-07-03T10:00:00Z");
        changes.publish(new ChangeEnvelope("sim", "cursor-items", id, Op.REFETCH, created, null, Origin.WEBHOOK, "test-first", Instant.now()))
                .await().atMost(Duration.ofSeconds(10));
        Records.await("sim/cursor-items/" + id, response -> response.body("deleted", equalTo(true))
                .body("updatedAt", equalTo("2026-07-03T10:00:00Z")));

        provider.put(id, created, 9);
        changes.publish(new ChangeEnvelope("sim", "cursor-items", id, Op.REFETCH, created, null, Origin.WEBHOOK, "test-second",
                Instant.now().plusSeconds(1))).await().atMost(Duration.ofSeconds(10));
        Records.await("sim/cursor-items/" + id, response -> response.body("deleted", equalTo(false))
                .body("data.amount", equalTo(9)));
    }

    /**
     * The provider failing every attempt of a refetch (five 500s, all of the
     * client's retries): the request is kept in the database and tried again,
     * and the record arrives once the provider answers. Before, it was
     * counted as failed and lost, its offset committed.
     */
    @Test
    void aRefetchTheProviderFailsIsKeptAndTriedAgainUntilItIsServed() {
        String id = "retry-" + UUID.randomUUID();
        provider.put(id, Instant.parse("2026-07-04T10:00:00Z"), 11);
        provider.failRecordCalls(Fault.status(500), Fault.status(500), Fault.status(500), Fault.status(500), Fault.status(500));
        changes.publish(refetch(id, Instant.now())).await().atMost(Duration.ofSeconds(10));

        Records.await("sim/cursor-items/" + id, response -> response.body("data.amount", equalTo(11)));
        assertThat(provider.recordCalls()).as("after five refused calls, the one that served it").isEqualTo(1);
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(pending(id)).isZero());
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().extract().asString();
        assertThat(metrics).contains("tidemark_poller_refetches_total{outcome=\"deferred\",resource=\"cursor-items\",source=\"sim\"}");
    }

    long pending(String id) {
        return pool.preparedQuery("SELECT count(*) AS n FROM refetch_pending WHERE source = 'sim' AND id = $1")
                .execute(Tuple.of(id)).await().indefinitely().iterator().next().getLong("n");
    }
}
