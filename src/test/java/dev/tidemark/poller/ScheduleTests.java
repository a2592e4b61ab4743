package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.FreePorts;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Schedules are data: a sweep that falls due while a poll holds its resource
 * starts right after that poll, every time. Here every sweep falls due on one
 * of the poll's own instants (schedule 2 s, reconcile 8 s, as 30 s and 2 m),
 * and each poll holds the resource for about 1.2 s of its 2 s.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(value = ScheduleTests.SlowProvider.class, restrictToAnnotatedClass = true)
class ScheduleTests {

    static final Duration POLL = Duration.ofSeconds(2);
    static final Duration SWEEP = Duration.ofSeconds(8);
    /** A tick of the schedule, and the time a run takes to start and end around its calls. */
    static final Duration SLACK = Duration.ofMillis(3_000);

    /** A provider whose every list page takes 400 ms, and the scheduled source "simsched" pointed at it. */
    public static class SlowProvider implements QuarkusTestResourceLifecycleManager {
        static volatile ProviderSimulator provider;

        @Override
        public Map<String, String> start() {
            provider = new ProviderSimulator(FreePorts.next());
            Instant at = Instant.parse("2026-05-01T00:00:00Z");
            for (int i = 0; i < 30; i++) {
                provider.put(String.format("s%02d", i), at.plusSeconds(i), i);
            }
            provider.beforeList(call -> {
                try {
                    Thread.sleep(400);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            String r = "tidemark.sources.simsched.resources.items.";
            return Map.of("tidemark.sources.simsched.api.base-url", provider.baseUrl(),
                    r + "list.path", "/cursor/items",
                    r + "list.items", "/data",
                    r + "list.page-size", "10",
                    r + "list.page-size-param", "limit",
                    r + "list.pagination.type", "cursor",
                    r + "schedule", POLL.toMillis() + "ms",
                    r + "reconcile", SWEEP.toMillis() + "ms");
        }

        @Override
        public void stop() {
            if (provider != null) {
                provider.close();
            }
        }
    }

    @Inject
    Pool pool;

    record Run(String mode, Instant startedAt) {
    }

    List<Run> runs() {
        List<Run> runs = new ArrayList<>();
        for (Row row : pool.query("SELECT mode, started_at FROM sync_runs WHERE source = 'simsched' ORDER BY started_at").execute()
                .await().atMost(Duration.ofSeconds(10))) {
            runs.add(new Run(row.getString("mode"), row.getOffsetDateTime("started_at").toInstant()));
        }
        return runs;
    }

    @Test
    void aSweepDueWhileAPollHoldsTheResourceStartsWithinAPollIntervalThreeTimesInARow() {
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                .until(() -> runs().stream().filter(run -> run.mode().equals("reconcile")).count() >= 3);
        List<Run> runs = runs();
        List<Instant> sweeps = runs.stream().filter(run -> run.mode().equals("reconcile")).map(Run::startedAt).toList();
        Instant firstPoll = runs.stream().filter(run -> run.mode().equals("incremental")).map(Run::startedAt).findFirst().orElseThrow();
        // Registered when the first poll fell due (FIRST_RUN_DELAY before it started, or less): the first sweep is due SWEEP after that.
        Duration late = Duration.between(firstPoll.minus(PollScheduler.FIRST_RUN_DELAY).plus(SWEEP), sweeps.get(0));
        assertThat(late).as("the first sweep after it fell due").isLessThanOrEqualTo(POLL.plus(SLACK));
        for (int i = 1; i < 3; i++) {
            Instant due = sweeps.get(i - 1).plus(SWEEP);
            Duration after = Duration.between(due, sweeps.get(i));
            assertThat(after).as("sweep %d after it fell due", i + 1)
                    .isLessThanOrEqualTo(POLL.plus(SLACK).plusMillis((long) (SWEEP.toMillis() * PollScheduler.JITTER)));
        }
        assertThat(runs.stream().filter(run -> run.mode().equals("incremental")).count())
                .as("the polls went on around the sweeps").isGreaterThanOrEqualTo(6);
    }
}
