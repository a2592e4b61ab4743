package dev.tidemark.relay;

import dev.tidemark.outbox.OutboxStore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.outbox.OutboxEntry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What the relay does besides publishing: it wakes on another replica's
 * commit (PostgreSQL NOTIFY, with no in-process signal and its poll 30 s
 * away in the test profile), and it removes published rows older than the
 * retention, and only those.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class OutboxHousekeepingTests {

    @Inject
    OutboxStore store;

    @Inject
    Pool pool;

    static OutboxEntry row(String key) {
        return new OutboxEntry("housekeeping:" + UUID.randomUUID(), OutboxEntry.RECORDS, key, "record",
                "{\"source\":\"lab\",\"resource\":\"items\",\"id\":\"" + key + "\"}");
    }

    @Test
    void aCommitInAnotherReplicaWakesTheRelayThroughNotify() {
        String key = "lab/items/notify-" + UUID.randomUUID();
        // As another replica's processor would: rows and NOTIFY in one transaction, no in-process wake here.
        pool.withTransaction(conn -> store.insert(conn, List.of(row(key)))).await().atMost(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> publishedAt(key) != null);
    }

    @Test
    void cleanUpRemovesOnlyRowsPublishedLongerAgoThanTheRetention() {
        String old = "lab/items/old-" + UUID.randomUUID();
        String recent = "lab/items/recent-" + UUID.randomUUID();
        String waiting = "lab/items/waiting-" + UUID.randomUUID();
        pool.withTransaction(conn -> store.insert(conn, List.of(row(old), row(recent), row(waiting))))
                .await().atMost(Duration.ofSeconds(10));
        // The relay publishes them first (it wakes on the commit); then their times are set back.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> publishedAt(old) != null && publishedAt(recent) != null && publishedAt(waiting) != null);
        // Published two days ago, published a minute ago, and (as if no relay had got to it) not yet.
        pool.preparedQuery("UPDATE outbox SET published_at = now() - interval '2 days' WHERE aggregate_id = $1")
                .execute(Tuple.of(old)).await().indefinitely();
        pool.preparedQuery("UPDATE outbox SET published_at = now() - interval '1 minute' WHERE aggregate_id = $1")
                .execute(Tuple.of(recent)).await().indefinitely();
        pool.preparedQuery("UPDATE outbox SET published_at = NULL, created_at = now() - interval '3 days' WHERE aggregate_id = $1")
                .execute(Tuple.of(waiting)).await().indefinitely();

        int removed = store.clean(Duration.ofHours(24), 10_000).await().atMost(Duration.ofSeconds(10));

        assertThat(removed).isGreaterThanOrEqualTo(1);
        assertThat(rows(old)).isZero();
        assertThat(rows(recent)).isEqualTo(1);
        assertThat(rows(waiting)).as("an unpublished row is never removed, however old").isEqualTo(1);
    }

    Object publishedAt(String key) {
        var rows = pool.preparedQuery("SELECT published_at FROM outbox WHERE aggregate_id = $1").execute(Tuple.of(key))
                .await().indefinitely();
        return rows.size() == 0 ? null : rows.iterator().next().getOffsetDateTime("published_at");
    }

    long rows(String key) {
        return pool.preparedQuery("SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1").execute(Tuple.of(key))
                .await().indefinitely().iterator().next().getLong("n");
    }
}
