package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.change.Connection;
import dev.tidemark.local.LocalInfraResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Claiming due work, as two replicas do it: each "replica" here is a
 * {@link ScheduleStore} on a pool of its own, against a database of this
 * test's own (migrated by Flyway like any), so that the application's own
 * scheduler never claims these rows.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class ScheduleClaimTests {

    static final Duration WAIT = Duration.ofSeconds(20);

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String url;

    @ConfigProperty(name = "quarkus.datasource.username")
    String user;

    @ConfigProperty(name = "quarkus.datasource.password")
    String password;

    @Inject
    Vertx vertx;

    Pool one;
    Pool two;
    ScheduleStore first;
    ScheduleStore second;

    @BeforeEach
    void aDatabaseOfItsOwn() throws SQLException {
        String jdbc = dev.tidemark.support.FreshDatabase.create(url, user, password, "claims_");
        Flyway.configure().dataSource(jdbc, user, password).locations("classpath:db/migration").load().migrate();
        PgConnectOptions options = PgConnectOptions.fromUri(jdbc.substring("jdbc:".length())).setUser(user).setPassword(password);
        one = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(options).using(vertx).build();
        two = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(options).using(vertx).build();
        first = new ScheduleStore(one);
        second = new ScheduleStore(two);
    }

    @AfterEach
    void close() {
        one.close().await().atMost(WAIT);
        two.close().await().atMost(WAIT);
    }

    void due(String connection, String resource, String kind, Duration ago) {
        one.preparedQuery("INSERT INTO poll_schedule (source, connection, resource, kind, every_ms, due_at) "
                        + "VALUES ('acct', $1, $2, $3, 60000, now() - make_interval(secs => $4))")
                .execute(Tuple.of(connection, resource, kind, ago.toMillis() / 1000.0)).await().atMost(WAIT);
    }

    static SyncTarget target(String connection, String resource) {
        return new SyncTarget(new Connection("acct", connection), resource, "");
    }

    static String name(ScheduleStore.Claimed claimed) {
        return claimed.target().connection().id() + "/" + claimed.target().resource() + "/" + claimed.kind();
    }

    @Test
    void twoReplicasClaimingAtOnceTakeEveryDueRowExactlyOnce() {
        for (int c = 0; c < 40; c++) {
            for (int r = 0; r < 5; r++) {
                due("c" + c, "r" + r, "poll", Duration.ofSeconds(1 + (c * 5L + r) % 97));
            }
        }
        List<String> claimedByFirst = Collections.synchronizedList(new ArrayList<>());
        List<String> claimedBySecond = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> claimAll(first, 5, claimedByFirst));
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> claimAll(second, 5, claimedBySecond));
        CompletableFuture.allOf(a, b).join();

        Set<String> all = new HashSet<>(claimedByFirst);
        all.addAll(claimedBySecond);
        assertThat(claimedByFirst.size() + claimedBySecond.size()).as("rows claimed in all").isEqualTo(200);
        assertThat(all).as("distinct rows claimed: none twice").hasSize(200);
        // Not asserted: that each replica took a share. A replica that finds the other claiming passes its look (the
        // claim lock is tried, not waited for), so one fast replica may take every row; a CI run once saw exactly
        // that. How work spreads over replicas is ReplicasIT's and the benchmark's to show.
    }

    /** Claims batches of seven, at most {@code share} runs a connection, until five looks in a row claim nothing. */
    static void claimAll(ScheduleStore store, int share, List<String> into) {
        int empty = 0;
        while (empty < 5) {
            List<ScheduleStore.Claimed> batch = store.claim(7, share, Duration.ofMinutes(5)).await().atMost(WAIT);
            if (batch.isEmpty()) {
                // Nothing left, or the other replica was claiming (a tick that finds it so passes): look again shortly.
                empty++;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                continue;
            }
            empty = 0;
            assertThat(batch).isSortedAccordingTo(java.util.Comparator.comparing(ScheduleStore.Claimed::wasDue));
            batch.forEach(c -> into.add(name(c)));
        }
    }

    @Test
    void aConnectionsShareHoldsWhileTwoReplicasClaimAtOnce() {
        for (int c = 0; c < 20; c++) {
            for (int r = 0; r < 5; r++) {
                due("c" + c, "r" + r, "poll", Duration.ofSeconds(1 + r));
            }
        }
        List<String> claimed = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture.allOf(CompletableFuture.runAsync(() -> claimAll(first, 2, claimed)),
                CompletableFuture.runAsync(() -> claimAll(second, 2, claimed))).join();
        Map<String, Integer> perConnection = new HashMap<>();
        claimed.forEach(name -> perConnection.merge(name.substring(0, name.indexOf('/')), 1, Integer::sum));
        // Claimed and not yet run, a row counts as busy: never more than two of a connection, across both replicas.
        assertThat(perConnection).hasSize(20);
        assertThat(perConnection.values()).allSatisfy(n -> assertThat(n).isEqualTo(2));
    }

    @Test
    void aReplicaStalledInItsClaimHoldsNoOtherBackForLong() {
        due("c", "items", "poll", Duration.ofSeconds(30));
        var stalled = one.getConnection().await().atMost(WAIT);
        try {
            var tx = stalled.begin().await().atMost(WAIT);
            stalled.query(ScheduleStore.SERIALIZE).execute().await().atMost(WAIT);
            long started = System.nanoTime();
            // Another replica's tick passes at once instead of waiting on the stalled one...
            assertThat(second.claim(10, 4, Duration.ofMinutes(1)).await().atMost(WAIT)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            // ...and the stalled one loses its session after 10 s idle in its transaction, and the lock with it.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(second.claim(10, 4, Duration.ofMinutes(1)).await().atMost(WAIT)).extracting(ScheduleClaimTests::name)
                            .containsExactly("c/items/POLL"));
            tx.rollback().onFailure().recoverWithNull().await().atMost(WAIT);
        } finally {
            stalled.close().onFailure().recoverWithNull().await().atMost(WAIT);
        }
    }

    @Test
    void theLongestDueGoFirstAndAConnectionsShareCountsItsRunsInEveryReplica() {
        LeaseStore leases = new LeaseStore(two);
        for (int r = 0; r < 6; r++) {
            due("busy", "r" + r, "poll", Duration.ofMinutes(10 + r));
        }
        due("quiet", "r0", "poll", Duration.ofSeconds(5));
        due("quiet", "r1", "sweep", Duration.ofSeconds(4));
        // Another replica runs r4 and r5 of "busy" (the longest due of its rows): they are held, and they count.
        assertThat(leases.acquire(target("busy", "r5"), "other", UUID.randomUUID(), Duration.ofMinutes(1)).await().atMost(WAIT)).isTrue();
        assertThat(leases.acquire(target("busy", "r4"), "other", UUID.randomUUID(), Duration.ofMinutes(1)).await().atMost(WAIT)).isTrue();

        List<ScheduleStore.Claimed> claimed = first.claim(100, 4, Duration.ofMinutes(5)).await().atMost(WAIT);

        assertThat(claimed.stream().map(ScheduleClaimTests::name).toList()).as("two of busy's four, the longest due first; quiet's both")
                .containsExactly("busy/r3/POLL", "busy/r2/POLL", "quiet/r0/POLL", "quiet/r1/SWEEP");
        // The pool's room: a limit of one takes the single longest due row left.
        due("late", "r0", "poll", Duration.ofHours(1));
        assertThat(second.claim(1, 4, Duration.ofMinutes(5)).await().atMost(WAIT)).extracting(ScheduleClaimTests::name)
                .containsExactly("late/r0/POLL");
    }

    @Test
    void aRowClaimedByAReplicaThatDiedBeforeItsRunFallsDueWhenTheClaimRunsOut() throws InterruptedException {
        due("c", "items", "poll", Duration.ofSeconds(30));
        List<ScheduleStore.Claimed> dead = first.claim(10, 4, Duration.ofSeconds(3)).await().atMost(WAIT);
        assertThat(dead).hasSize(1);
        assertThat(second.claim(10, 4, Duration.ofMinutes(5)).await().atMost(WAIT)).as("claimed by the other").isEmpty();
        Thread.sleep(3_500);
        List<ScheduleStore.Claimed> taken = second.claim(10, 4, Duration.ofMinutes(5)).await().atMost(WAIT);
        assertThat(taken).extracting(ScheduleClaimTests::name).containsExactly("c/items/POLL");
        assertThat(taken.get(0).wasDue()).as("due again since the claim ran out").isEqualTo(dead.get(0).claimedUntil());
        // The dead replica's late word changes nothing: the row is the other's claim now.
        first.advance(dead.get(0), Duration.ofHours(1)).await().atMost(WAIT);
        first.putBack(dead.get(0)).await().atMost(WAIT);
        assertThat(dueAt("c", "items")).isEqualTo(taken.get(0).claimedUntil());
    }

    @Test
    void aReplicaThatDiesMidRunHandsItsWorkOverWithinTheLease() throws InterruptedException {
        due("c", "items", "poll", Duration.ofSeconds(30));
        ScheduleStore.Claimed running = first.claim(10, 4, Duration.ofMillis(500)).await().atMost(WAIT).get(0);
        // Its run holds the lease for five seconds; then the replica dies, renewing nothing.
        assertThat(new LeaseStore(one).acquire(running.target(), "dead", UUID.randomUUID(), Duration.ofSeconds(5)).await().atMost(WAIT)).isTrue();
        Thread.sleep(1_500);
        assertThat(second.claim(10, 4, Duration.ofMinutes(1)).await().atMost(WAIT)).as("the claim ran out, but the run holds the lease")
                .isEmpty();
        Thread.sleep(4_000);
        assertThat(second.claim(10, 4, Duration.ofMinutes(1)).await().atMost(WAIT)).as("the lease ran out: the other replica takes it")
                .extracting(ScheduleClaimTests::name).containsExactly("c/items/POLL");
    }

    @Test
    void aRunsEndMovesItsRowOneIntervalOnFromItsClaimAndAHeldResourceGivesItBack() {
        due("c", "items", "poll", Duration.ofSeconds(30));
        due("c", "notes", "poll", Duration.ofSeconds(20));
        List<ScheduleStore.Claimed> claimed = first.claim(10, 4, Duration.ofMinutes(5)).await().atMost(WAIT);
        ScheduleStore.Claimed items = claimed.get(0);
        ScheduleStore.Claimed notes = claimed.get(1);
        first.advance(items, Duration.ofSeconds(60)).await().atMost(WAIT);
        assertThat(dueAt("c", "items")).isEqualTo(items.claimedAt().plusSeconds(60));
        first.putBack(notes).await().atMost(WAIT);
        assertThat(dueAt("c", "notes")).isEqualTo(notes.wasDue());
        assertThat(second.claim(10, 4, Duration.ofMinutes(5)).await().atMost(WAIT)).extracting(ScheduleClaimTests::name)
                .containsExactly("c/notes/POLL");
    }

    @Test
    void aThousandConnectionsAddedAtOnceFallDueSpreadOverAMinute() {
        List<Instant> due = new ArrayList<>();
        for (int c = 0; c < 1000; c++) {
            first.register(target("new-" + c, "items"), ScheduleStore.Kind.POLL, Duration.ofMinutes(1),
                    PollScheduler.firstDue(Duration.ofMinutes(1))).await().atMost(WAIT);
        }
        for (Row row : one.query("SELECT due_at FROM poll_schedule").execute().await().atMost(WAIT)) {
            due.add(row.getOffsetDateTime("due_at").toInstant());
        }
        Map<Long, Integer> perSecond = new HashMap<>();
        due.forEach(at -> perSecond.merge(at.getEpochSecond(), 1, Integer::sum));
        Instant earliest = Collections.min(due);
        Instant latest = Collections.max(due);
        assertThat(Duration.between(earliest, latest)).as("spread").isGreaterThan(Duration.ofSeconds(50));
        // Evenly, a second holds about 17 of them; all in one second is what the spread prevents.
        assertThat(Collections.max(perSecond.values())).as("the most in any one second").isLessThanOrEqualTo(45);
    }

    Instant dueAt(String connection, String resource) {
        return one.preparedQuery("SELECT due_at FROM poll_schedule WHERE connection = $1 AND resource = $2")
                .execute(Tuple.of(connection, resource)).await().atMost(WAIT).iterator().next().getOffsetDateTime("due_at").toInstant();
    }
}
