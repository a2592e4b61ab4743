package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
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
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reconciliation sweeps (docs/architecture.md, invariant 5): only a sweep that read every
 * page deletes; it never deletes a record written after it began; a sweep
 * that would empty the table deletes nothing.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class SweepTests {

    static final String RESOURCE = "sweep-items";
    static final Instant T = Instant.parse("2026-09-01T00:00:00Z");

    @Inject
    ResourceSync sync;

    @Inject
    ChangePublisher changes;

    @Inject
    Pool pool;

    ProviderSimulator provider;

    @BeforeEach
    void fresh() {
        provider = ProviderSimulatorResource.fresh();
        pool.preparedQuery("DELETE FROM records WHERE source = 'sim' AND resource = $1").execute(Tuple.of(RESOURCE))
                .chain(() -> pool.query("DELETE FROM poll_checkpoints WHERE source = 'sim'").execute())
                .chain(() -> pool.query("DELETE FROM poll_leases WHERE source = 'sim'").execute())
                .await().atMost(Duration.ofSeconds(10));
        for (int i = 0; i < 120; i++) {
            provider.put(String.format("s%03d", i), T.plusSeconds(i), i);
        }
        SyncRun backfill = run("full");
        assertThat(backfill.status()).isEqualTo("completed");
        awaitTable(120, 0);
        provider.reset();   // the tests count the sweep's calls from 1
    }

    SyncRun run(String mode) {
        Optional<SyncRun> run = sync.run(SyncTarget.of("sim", RESOURCE), ConfigKind.of(SyncMode.class, mode), "api").await().atMost(Duration.ofSeconds(60));
        assertThat(run).isPresent();
        return run.get();
    }

    /** id -> deleted, for the resource. */
    Map<String, Boolean> table() {
        Map<String, Boolean> table = new TreeMap<>();
        for (Row row : pool.preparedQuery("SELECT id, deleted FROM records WHERE source = 'sim' AND resource = $1 AND updated_at IS NOT NULL")
                .execute(Tuple.of(RESOURCE)).await().atMost(Duration.ofSeconds(5))) {
            table.put(row.getString("id"), row.getBoolean("deleted"));
        }
        return table;
    }

    void awaitTable(long live, long deleted) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Map<String, Boolean> table = table();
            assertThat(table.values().stream().filter(d -> !d).count()).isEqualTo(live);
            assertThat(table.values().stream().filter(d -> d).count()).isEqualTo(deleted);
        });
    }

    @Test
    void aCompletedSweepDeletesWhatTheProviderNoLongerHasButNothingWrittenAfterItBegan() {
        provider.delete("s005");
        provider.delete("s077");
        // While the sweep is under way, a webhook brings a record the walk will not see (it was created behind the
        // walk's position), with a provider timestamp older than the sweep's start.
        provider.beforeList(call -> {
            if (call == 2) {
                changes.publish(new ChangeEnvelope("sim", RESOURCE, "arrived-mid-sweep", Op.UPSERT, T.minusSeconds(60),
                        io.vertx.core.json.jackson.DatabindCodec.mapper().createObjectNode().put("amount", 1), Origin.WEBHOOK,
                        "mid-sweep", Instant.now())).await().atMost(Duration.ofSeconds(10));
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> table().containsKey("arrived-mid-sweep"));
            }
        });
        SyncRun sweep = run("reconcile");
        assertThat(sweep.status()).isEqualTo("completed");
        assertThat(sweep.mode()).isEqualTo("reconcile");
        assertThat(sweep.records()).isEqualTo(118);
        awaitTable(119, 2);
        assertThat(table()).containsEntry("s005", true).containsEntry("s077", true).containsEntry("arrived-mid-sweep", false)
                .containsEntry("s006", false);

        // An update newer than the tombstone (which carries the sweep's start) restores the record;
        // one older than it, as if replayed, does not.
        provider.reset();
        provider.put("s077", T.plusSeconds(100_000), 77);
        provider.put("s005", Instant.now().plusSeconds(5), 5);
        assertThat(run("incremental").status()).isEqualTo("completed");
        awaitTable(120, 1);
        assertThat(table()).containsEntry("s005", false).containsEntry("s077", true);
    }

    @Test
    void aSweepThatFailsDeletesNothing() {
        provider.delete("s001");
        provider.beforeList(call -> {
            if (call == 2) {
                provider.fail(Fault.status(400));
            }
        });
        assertThat(run("reconcile").status()).isEqualTo("failed");
        // A sweep cut short by the quota deletes nothing either: PollerTests.aQuotaThatWouldKeep…
        Awaitility.await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> awaitTable(120, 0));
        assertThat(pool.query("SELECT count(*) AS n FROM sweep_seen").execute().await().atMost(Duration.ofSeconds(5))
                .iterator().next().getLong("n")).isZero();
    }

    @Test
    void aSweepThatWouldDeleteMostOfTheTableDeletesNothing() {
        provider.clear();
        provider.put("s000", T, 0);
        SyncRun sweep = run("reconcile");
        assertThat(sweep.status()).isEqualTo("failed");
        assertThat(sweep.error()).get().asString().contains("would delete 119 of 120").contains("nothing was deleted");
        awaitTable(120, 0);
    }
}
