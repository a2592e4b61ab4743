package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulator.Fault;
import dev.tidemark.support.ProviderSimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The poller against a provider simulator served over real HTTP, through
 * real Kafka and the processor into PostgreSQL: every pagination kind, runs
 * of equal timestamps longer than a page, a list that changes under the walk,
 * failures and resumption, the provider's rate limit, and leases. Each test
 * ends by comparing the local table with the simulator's data.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class PollerTests {

    static final AtomicLong CLOCK = new AtomicLong(Instant.parse("2026-01-01T00:00:00Z").getEpochSecond());

    @Inject
    ResourceSync sync;

    @Inject
    CheckpointStore checkpoints;

    @Inject
    LeaseStore leases;

    @Inject
    Pool pool;

    ProviderSimulator provider;

    @BeforeEach
    void freshProvider() {
        provider = ProviderSimulatorResource.fresh();
        pool.query("DELETE FROM poll_checkpoints WHERE source LIKE 'sim%'").execute()
                .chain(() -> pool.query("DELETE FROM poll_leases WHERE source LIKE 'sim%'").execute())
                .chain(() -> pool.query("DELETE FROM records WHERE source LIKE 'sim%'").execute())
                .await().atMost(Duration.ofSeconds(10));
    }

    /** A time later than every earlier test's, so each test's data is new to the processor. */
    static Instant later() {
        return Instant.ofEpochSecond(CLOCK.addAndGet(100_000));
    }

    SyncRun run(String resource, String mode) {
        Optional<SyncRun> run = sync.run(SyncTarget.of("sim", resource), ConfigKind.of(SyncMode.class, mode), "api").await().atMost(Duration.ofSeconds(90));
        assertThat(run).as("the lease was free").isPresent();
        return run.get();
    }

    /** Waits until the processor's table for the resource holds exactly the simulator's records. */
    void awaitTableMatchesProvider(String resource) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Map<String, Long> table = new HashMap<>();
            for (Row row : pool.preparedQuery("""
                    SELECT id, (data->>'amount')::bigint AS amount FROM records
                    WHERE source = 'sim' AND resource = $1 AND updated_at IS NOT NULL AND NOT deleted""")
                    .execute(Tuple.of(resource)).await().atMost(Duration.ofSeconds(10))) {
                table.put(row.getString("id"), row.getLong("amount"));
            }
            Map<String, Long> expected = new HashMap<>();
            provider.data().forEach((id, item) -> expected.put(id, item.amount()));
            assertThat(table).isEqualTo(expected);
        });
    }

    void fill(int count, Instant at) {
        for (int i = 0; i < count; i++) {
            provider.put(String.format("r%05d", i), at.plusSeconds(i), i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cursor-items", "next-items", "link-items", "page-items", "offset-items", "keyset-items"})
    void aFirstRunBackfillsEveryRecordAndTheNextFetchesOnlyWhatChanged(String resource) {
        Instant t = later();
        fill(250, t);
        SyncRun first = run(resource, "incremental");
        assertThat(first.status()).isEqualTo("completed");
        assertThat(first.mode()).isEqualTo("incremental");
        assertThat(first.records()).isEqualTo(250);
        assertThat(first.calls()).isEqualTo(3);   // 100 + 100 + 50, the last one short
        // Each record once; an offset or page walk without a compound keyset fetches its anchor (the last
        // record of the page before) once more with each page.
        int anchors = List.of("page-items", "offset-items").contains(resource) ? 2 : 0;
        assertThat(provider.served()).hasSize(250).allSatisfy((id, n) -> assertThat(n).isBetween(1, 2));
        assertThat(provider.served().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(250 + anchors);
        awaitTableMatchesProvider(resource);

        provider.reset();
        provider.put("r00010", t.plusSeconds(1_000), 999);   // updated
        provider.put("r-new", t.plusSeconds(1_001), 5);      // created
        SyncRun second = run(resource, "incremental");
        assertThat(second.status()).isEqualTo("completed");
        // What changed, and at most the last record of the first run again (an inclusive filter starts at it).
        assertThat(provider.served().keySet()).contains("r00010", "r-new").hasSizeLessThanOrEqualTo(3);
        awaitTableMatchesProvider(resource);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cursor-items", "next-items", "page-items", "offset-items", "keyset-items"})
    void aThousandRecordsOnOneTimestampArePagedThroughEachExactlyOnce(String resource) {
        Instant t = later();
        for (int i = 0; i < 1000; i++) {
            provider.put(String.format("same-%04d", i), t, i);
        }
        SyncRun run = run(resource, "full");
        assertThat(run.status()).isEqualTo("completed");
        assertThat(run.records()).isEqualTo(1000);
        assertThat(provider.served()).hasSize(1000);
        // Every record exactly once, but an offset walk's anchor: the last record of each page comes once more.
        int anchors = resource.equals("offset-items") ? 10 : 0;
        assertThat(provider.served().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1000 + anchors);
        // A cursor walk knows the last page by its missing cursor; the others ask once more and find nothing.
        assertThat(run.calls()).isEqualTo(List.of("cursor-items", "next-items").contains(resource) ? 10 : 11);

        // The next incremental run starts past them, nothing loops; only a token walk without a compound keyset
        // (next-items) has no way to start after the last one, and takes that timestamp's records once again.
        provider.reset();
        SyncRun next = run(resource, "incremental");
        assertThat(next.status()).isEqualTo("completed");
        assertThat(next.calls()).isLessThanOrEqualTo(resource.equals("next-items") ? 10 : 2);
        awaitTableMatchesProvider(resource);
    }

    @ParameterizedTest
    @ValueSource(strings = {"offset-items", "page-items", "cursor-items"})
    void recordsUpdatedWhileTheWalkIsUnderWaySkipNothing(String resource) {
        Instant t = later();
        for (int i = 0; i < 300; i++) {
            provider.put(String.format("m%04d", i), t.plusSeconds(i / 3), i);
        }
        // Before each of the first pages, a record the walk already took moves to the end: everything after it
        // shifts one place towards the start, which is where an offset walk would skip one.
        provider.beforeList(call -> {
            if (call >= 2 && call <= 3) {
                String id = String.format("m%04d", (call - 2) * 10);
                provider.put(id, t.plusSeconds(10_000 + call), 50_000 + call);
            }
        });
        SyncRun run = run(resource, "full");
        assertThat(run.status()).isEqualTo("completed");
        assertThat(provider.served().keySet()).containsAll(provider.data().keySet());
        awaitTableMatchesProvider(resource);
    }

    @Test
    void aProviderThatIgnoresTheFilterEndsTheRunInsteadOfLoopingForEver() {
        fill(150, later());
        // Past the first page every page starts again from the top, so the anchor is never where it should be.
        SyncRun broken = run("ignoring-items", "full");
        assertThat(broken.status()).isEqualTo("failed");
        assertThat(broken.error()).get().asString().contains("made no progress").contains("honour the updated-since filter");
        assertThat(broken.calls()).isLessThan(10);
    }

    @Test
    void withoutUpdatedAtOnlyRecordsWhoseContentChangedGoDownstream() {
        fill(150, later());
        SyncRun first = run("hashed-items", "incremental");
        assertThat(first.status()).isEqualTo("completed");
        assertThat(first.records()).isEqualTo(150);
        awaitTableMatchesProvider("hashed-items");

        SyncRun unchanged = run("hashed-items", "incremental");
        assertThat(unchanged.records()).isZero();
        assertThat(unchanged.calls()).isEqualTo(2);   // the whole list is walked: 100 + 50

        provider.put("r00007", later(), 70_000);
        provider.put("r00120", later(), 12_000);
        provider.put("brand-new", later(), 1);
        SyncRun changed = run("hashed-items", "incremental");
        assertThat(changed.records()).isEqualTo(3);
        awaitTableMatchesProvider("hashed-items");
    }

    @Test
    void fivexxTimeoutsAndMalformedPagesAreRetriedAndCounted() {
        fill(250, later());
        provider.fail(Fault.status(500), Fault.status(502), Fault.malformed(), Fault.slow(1_500));
        SyncRun run = run("cursor-items", "incremental");
        assertThat(run.status()).isEqualTo("completed");
        assertThat(run.retries()).isEqualTo(4);
        assertThat(run.records()).isEqualTo(250);
        awaitTableMatchesProvider("cursor-items");
    }

    @Test
    void aProviderThatKeepsFailingOpensItsSourcesCircuitUntilTheDelayHasPassed() throws Exception {
        fill(50, later());
        Fault[] failures = new Fault[10];
        java.util.Arrays.fill(failures, Fault.status(500));
        provider.fail(failures);
        SyncTarget fragile = SyncTarget.of("simfragile", "items");
        // Two runs of five attempts each: ten failures in the breaker's window of ten.
        assertThat(runOf(fragile).status()).isEqualTo("failed");
        assertThat(runOf(fragile).status()).isEqualTo("failed");
        int calls = provider.listCalls();
        SyncRun prevented = runOf(fragile);
        assertThat(prevented.status()).isEqualTo("failed");
        assertThat(prevented.error()).get().asString().contains("circuit breaker of source simfragile is open");
        assertThat(provider.listCalls()).as("no call while the circuit is open").isEqualTo(calls);
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().extract().asString();
        assertThat(metrics).contains("tidemark_poller_circuit_open{source=\"simfragile\"} 1.0");
        io.restassured.RestAssured.given().header("Authorization", dev.tidemark.support.Records.TOKEN).get("/api/sources").then()
                .body("sources.find { it.source == 'simfragile' }.circuit", org.hamcrest.Matchers.equalTo("open"));

        Thread.sleep(5_100);   // tidemark.poller.circuit-breaker-delay in tests
        SyncRun recovered = runOf(fragile);
        assertThat(recovered.status()).as(recovered.error().orElse("")).isEqualTo("completed");
        assertThat(recovered.records()).isEqualTo(50);
    }

    SyncRun runOf(SyncTarget target) {
        Optional<SyncRun> run = sync.run(target, SyncMode.FULL, "api").await().atMost(Duration.ofSeconds(60));
        assertThat(run).isPresent();
        return run.get();
    }

    @Test
    void aClientErrorIsNotRetriedAndTheNextRunResumesFromTheLastPageOnKafka() {
        fill(450, later());
        provider.beforeList(call -> {
            if (call == 3) {
                provider.fail(Fault.status(400));
            }
        });
        SyncRun failed = run("offset-items", "full");
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.error()).get().asString().contains("GET /offset/items answered 400").contains("not retried");
        assertThat(failed.calls()).isEqualTo(3);
        assertThat(failed.records()).isEqualTo(200);
        Checkpoint saved = checkpoints.checkpoint(SyncTarget.of("sim", "offset-items")).await().atMost(Duration.ofSeconds(5)).orElseThrow();
        assertThat(saved.status()).isEqualTo(RunStatus.FAILED);
        assertThat(saved.position().id()).isEqualTo("r00199");

        provider.reset();
        SyncRun resumed = run("offset-items", "incremental");
        assertThat(resumed.status()).isEqualTo("completed");
        assertThat(resumed.mode()).isEqualTo("incremental");
        assertThat(resumed.records()).isEqualTo(250);
        // It starts at the failed page: of the first 200 records only the anchor comes again.
        assertThat(provider.served().keySet()).doesNotContain("r00000", "r00198").contains("r00199", "r00200", "r00449");
        awaitTableMatchesProvider("offset-items");
    }

    @Test
    void anAdvertisedQuotaIsSpentWithoutA429AndARetryAfterIsHonoured() {
        fill(1_200, later());
        provider.rateLimit(10);
        SyncRun run = run("cursor-items", "incremental");
        assertThat(run.status()).isEqualTo("completed");
        assertThat(run.calls()).isEqualTo(12);
        assertThat(provider.tooManyRequests()).isZero();
        awaitTableMatchesProvider("cursor-items");

        provider.reset();
        provider.put("late", later(), 1);
        provider.fail(Fault.status(429, Map.of("Retry-After", "1")), Fault.status(503, Map.of("Retry-After", "1")));
        long started = System.nanoTime();
        SyncRun limited = run("cursor-items", "incremental");
        assertThat(limited.status()).isEqualTo("completed");
        assertThat(limited.rateLimitWaits()).isEqualTo(2);
        assertThat(limited.retries()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        awaitTableMatchesProvider("cursor-items");
    }

    @Test
    void aQuotaThatWouldKeepTheRunWaitingTooLongEndsItPartialDeletesNothingAndIsHonoured() {
        fill(250, later());
        SyncTarget quota = SyncTarget.of("simquota", "items");
        assertThat(runOf(quota).status()).isEqualTo("completed");
        awaitTableMatches("simquota", "items");
        provider.reset();
        provider.delete("r00007");
        provider.beforeList(call -> {
            if (call == 2) {
                provider.fail(Fault.status(429, Map.of("Retry-After", "3600")));
            }
        });
        SyncRun cut = sync.run(quota, SyncMode.RECONCILE, "api").await().atMost(Duration.ofSeconds(60)).orElseThrow();
        assertThat(cut.status()).isEqualTo("partial");
        assertThat(cut.error()).get().asString().contains("3600 s");
        assertThat(cut.records()).isEqualTo(100);
        // The sweep did not read every page: nothing is deleted.
        awaitTableMatchesCount("simquota", "items", 250);
        // The provider asked for an hour: the next run of the source does not call it before then.
        int calls = provider.listCalls();
        SyncRun next = runOf(quota);
        assertThat(next.status()).isEqualTo("partial");
        assertThat(next.error()).get().asString().contains("quota is spent");
        assertThat(provider.listCalls()).isEqualTo(calls);
    }

    void awaitTableMatches(String source, String resource) {
        awaitTableMatchesCount(source, resource, provider.data().size());
    }

    void awaitTableMatchesCount(String source, String resource, long live) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(pool.preparedQuery("""
                        SELECT count(*) AS n FROM records WHERE source = $1 AND resource = $2 AND updated_at IS NOT NULL AND NOT deleted""")
                        .execute(Tuple.of(source, resource)).await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n"))
                        .isEqualTo(live));
    }

    @Test
    void twoPollersNeverRunOneResourceAtOnceAndADeadReplicasLeaseExpires() {
        fill(10, later());
        SyncTarget target = SyncTarget.of("sim", "cursor-items");
        UUID other = UUID.randomUUID();
        assertThat(leases.acquire(target, "replica-b", other, Duration.ofSeconds(30)).await().atMost(Duration.ofSeconds(5))).isTrue();
        assertThat(sync.run(target, SyncMode.INCREMENTAL, "api").await().atMost(Duration.ofSeconds(30))).isEmpty();
        assertThat(provider.listCalls()).isZero();

        // replica-b died: its lease runs out, and this replica takes the resource over.
        pool.query("UPDATE poll_leases SET expires_at = now() - interval '1 second' WHERE source = 'sim'").execute()
                .await().atMost(Duration.ofSeconds(5));
        SyncRun run = run("cursor-items", "incremental");
        assertThat(run.status()).isEqualTo("completed");
        assertThat(leases.holder(target).await().atMost(Duration.ofSeconds(5))).isEmpty();
        awaitTableMatchesProvider("cursor-items");
    }

    @Test
    void twoRunsStartedTogetherOnlyOneGoes() {
        fill(300, later());
        SyncTarget target = SyncTarget.of("sim", "page-items");
        var first = sync.start(target, SyncMode.FULL, "api");
        var second = sync.start(target, SyncMode.FULL, "api");
        var both = io.smallrye.mutiny.Uni.combine().all().unis(first, second).asTuple().await().atMost(Duration.ofSeconds(30));
        assertThat(both.getItem1().isPresent() ^ both.getItem2().isPresent()).isTrue();
        awaitTableMatchesProvider("page-items");
    }

    static Instant micros(Instant at) {
        return at.truncatedTo(ChronoUnit.MICROS);
    }
}
