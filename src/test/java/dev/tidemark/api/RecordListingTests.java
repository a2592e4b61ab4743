package dev.tidemark.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/records/{source}/{resource}}: every record once, in
 * (updatedAt, id) order, deletes included, page by page through the cursor —
 * also across a run of records on one timestamp longer than a page.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class RecordListingTests {

    @Inject
    ChangePublisher changes;

    @Inject
    Pool pool;

    static final java.util.concurrent.atomic.AtomicInteger DAYS = new java.util.concurrent.atomic.AtomicInteger();

    /** Records of this test only: a day in 2031 no other test writes, and ids of its own. */
    Instant base;
    String tag;
    List<String> expectedOrder;

    @BeforeEach
    void records() {
        // Each test's day comes after the earlier tests' days, so a listing "updated since" its day holds only its records.
        base = Instant.parse("2031-01-01T00:00:00Z").plus(10L * DAYS.incrementAndGet(), ChronoUnit.DAYS);
        tag = "list-" + UUID.randomUUID().toString().substring(0, 8);
        List<ChangeEnvelope> batch = new ArrayList<>();
        List<Map.Entry<String, Instant>> records = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            // Ten share one timestamp, more than a page of seven.
            Instant at = i < 10 ? base.plusSeconds(5) : base.plusSeconds(i);
            String id = tag + "-" + (char) ('a' + (i * 7) % 25);
            records.add(Map.entry(id, at));
            batch.add(new ChangeEnvelope("lab", "items", id, Op.UPSERT, at,
                    JsonNodeFactory.instance.objectNode().put("amount", i), Origin.WEBHOOK, "d-" + id, Instant.now()));
        }
        String deleted = records.get(20).getKey();
        batch.add(new ChangeEnvelope("lab", "items", deleted, Op.DELETE, records.get(20).getValue().plusMillis(1), null,
                Origin.WEBHOOK, "del-" + deleted, Instant.now()));
        records.set(20, Map.entry(deleted, records.get(20).getValue().plusMillis(1)));
        changes.publish(batch).await().atMost(Duration.ofSeconds(10));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> pool.preparedQuery(
                "SELECT count(*) AS n FROM records WHERE source = 'lab' AND resource = 'items' AND id LIKE $1 AND "
                        + "(deleted OR data IS NOT NULL) AND updated_at IS NOT NULL AND (NOT deleted OR id = $2)")
                .execute(Tuple.of(tag + "%", deleted)).await().atMost(Duration.ofSeconds(5)).iterator().next().getLong("n") == 25
                && isDeleted(deleted));
        expectedOrder = records.stream().sorted(Comparator.comparing((Map.Entry<String, Instant> e) -> e.getValue())
                .thenComparing(Map.Entry::getKey)).map(Map.Entry::getKey).toList();
    }

    boolean isDeleted(String id) {
        var rows = pool.preparedQuery("SELECT deleted FROM records WHERE source = 'lab' AND resource = 'items' AND id = $1")
                .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(5));
        return rows.size() == 1 && rows.iterator().next().getBoolean("deleted");
    }

    JsonPath page(String query) {
        return given().header("Authorization", Records.TOKEN).urlEncodingEnabled(true)
                .get("/api/records/lab/items?" + query).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void pagesThroughEveryRecordOnceInUpdatedAtOrderIncludingDeletes() {
        List<String> seen = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String cursor = null;
        do {
            JsonPath page = page("updatedSince=" + base + "&limit=7" + (cursor == null ? "" : "&cursor=" + cursor));
            List<String> ids = page.getList("records.id");
            seen.addAll(ids);
            sizes.add(ids.size());
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        assertThat(sizes).containsExactly(7, 7, 7, 4);
        assertThat(seen).containsExactlyElementsOf(expectedOrder);
        JsonPath all = page("updatedSince=" + base + "&limit=25");
        assertThat(all.getString("nextCursor")).isNull();
        assertThat(all.getList("records.findAll { it.deleted }.id")).hasSize(1);
        assertThat(all.getList("records.findAll { it.deleted }.data")).containsOnlyNulls();
        // From a later time on: only what was updated since, inclusive.
        assertThat(page("updatedSince=" + base.plusSeconds(24) + "&limit=10").getList("records.id"))
                .containsExactlyElementsOf(expectedOrder.subList(24, 25));
    }

    @Test
    void aRecordUpdatedWhileAReaderPagesComesAgainLaterAndNothingIsSkipped() {
        JsonPath first = page("updatedSince=" + base + "&limit=7");
        String moved = first.getList("records.id", String.class).get(0);
        changes.publish(new ChangeEnvelope("lab", "items", moved, Op.UPSERT, base.plusSeconds(100),
                JsonNodeFactory.instance.objectNode().put("amount", 999), Origin.WEBHOOK, "moved", Instant.now()))
                .await().atMost(Duration.ofSeconds(10));
        Records.await("lab/items/" + moved, response -> response.body("data.amount", equalTo(999)));
        List<String> rest = new ArrayList<>();
        String cursor = first.getString("nextCursor");
        while (cursor != null) {
            JsonPath page = page("updatedSince=" + base + "&limit=7&cursor=" + cursor);
            rest.addAll(page.getList("records.id"));
            cursor = page.getString("nextCursor");
        }
        assertThat(rest).containsExactlyElementsOf(concat(expectedOrder.subList(7, 25), moved));
    }

    static List<String> concat(List<String> head, String last) {
        List<String> all = new ArrayList<>(head);
        all.add(last);
        return all;
    }

    @Test
    void badParametersGetAClearErrorAndUnknownResourcesA404() {
        given().header("Authorization", Records.TOKEN).get("/api/records/lab/items?limit=0").then().statusCode(400)
                .body("detail", startsWith("limit: a whole number from 1 to"));
        given().header("Authorization", Records.TOKEN).get("/api/records/lab/items?updatedSince=yesterday").then().statusCode(400)
                .body("detail", startsWith("updatedSince: an ISO-8601 instant"));
        given().header("Authorization", Records.TOKEN).get("/api/records/lab/items?cursor=not-ours").then().statusCode(400)
                .body("detail", startsWith("cursor: not a cursor this API handed out"));
        given().header("Authorization", Records.TOKEN).get("/api/records/nope/items").then().statusCode(404)
                .body("detail", equalTo("no source nope"));
        given().header("Authorization", Records.TOKEN).get("/api/records/lab/nope").then().statusCode(404)
                .body("detail", equalTo("source lab has no resource nope"));
        given().get("/api/records/lab/items").then().statusCode(401);
    }
}
