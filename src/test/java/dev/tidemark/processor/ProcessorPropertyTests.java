package dev.tidemark.processor;

import dev.tidemark.change.ContentHash;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.processor.LabHistory.Version;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both halves of invariant 4 (docs/architecture.md), on many random histories applied by
 * the real processor to the real database, batch by batch:
 * (a) delivered in order, in random batches, with redeliveries and whole
 * batches applied twice (a crash between the database commit and the offset
 * commit): the events are exactly the true history's edges, once each, and
 * the changelog is exactly the true sequence of states;
 * (b) delivered in random order with redeliveries: the table ends at the true
 * final state, and every event marks a real edge between two states that
 * existed in that order, no edge twice.
 * One fixed seed and two fresh ones per run; the seed is in the test's name.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class ProcessorPropertyTests {

    @Inject
    ChangeProcessor processor;

    @Inject
    Pool pool;

    static Stream<Long> seeds() {
        Random fresh = new Random();
        return LongStream.of(20261124L, fresh.nextLong(), fresh.nextLong()).boxed();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void inOrderWithRedeliveriesEventsAreExactlyTheTrueEdges(long seed) {
        Random random = new Random(seed);
        String prefix = "a" + Long.toHexString(seed) + UUID.randomUUID().toString().substring(0, 6);
        LabHistory history = new LabHistory(random, prefix, 8, 12, 40);
        List<List<ChangeEnvelope>> batches = LabHistory.batches(random,
                LabHistory.withDuplicates(random, history.inOrder(random)), 30);
        for (List<ChangeEnvelope> batch : batches) {
            apply(batch);
            if (random.nextInt(4) == 0) {
                // Committed, then the consumer died before committing offsets: the batch comes again.
                apply(batch);
            }
        }

        List<Event> events = events(prefix);
        List<String> written = events.stream().map(Event::edge).toList();
        assertThat(written).as("seed %d: events against the true edges", seed)
                .containsExactlyInAnyOrderElementsOf(history.trueEdges());
        for (Event event : events) {
            assertThat(event.id()).as("seed %d: a deterministic id", seed).isEqualTo(UUID.nameUUIDFromBytes(
                    (event.rule() + "\n" + LabHistory.SOURCE + "/" + LabHistory.RESOURCE + "/" + event.record() + "\n" + event.at())
                            .getBytes(StandardCharsets.UTF_8)).toString());
        }
        // Per record, events are in the order of the states they mark.
        Map<String, Instant> last = new HashMap<>();
        for (Event event : events) {
            Instant before = last.put(event.record(), event.at());
            assertThat(before == null || !event.at().isBefore(before)).as("seed %d: events of %s in order", seed, event.record()).isTrue();
        }
        // The changelog holds every true state once, in order.
        history.histories.forEach((id, versions) -> assertThat(changelog(id))
                .as("seed %d: changelog of %s", seed, id)
                .containsExactlyElementsOf(versions.stream().map(v -> v.deleted() ? "tombstone" : v.at() + " " + canonical(v.data())).toList()));
        assertFinalState(seed, history);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void anyOrderWithRedeliveriesConvergesAndFiresOnlyRealEdges(long seed) {
        Random random = new Random(seed);
        String prefix = "b" + Long.toHexString(seed) + UUID.randomUUID().toString().substring(0, 6);
        LabHistory history = new LabHistory(random, prefix, 8, 12, 40);
        List<ChangeEnvelope> shuffled = LabHistory.withDuplicates(random, history.inOrder(random));
        Collections.shuffle(shuffled, random);
        for (List<ChangeEnvelope> batch : LabHistory.batches(random, shuffled, 30)) {
            apply(batch);
        }
        assertFinalState(seed, history);
        assertEventsMarkRealEdges(seed, history, events(prefix));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void twoProcessorsOverTheSameRecordsAtOnceNeitherDeadlockNorDiffer(long seed) throws Exception {
        Random random = new Random(seed);
        String prefix = "c" + Long.toHexString(seed) + UUID.randomUUID().toString().substring(0, 6);
        LabHistory history = new LabHistory(random, prefix, 6, 20, 40);
        // Each replica sees every change, in its own random order and batches, at the same time as the other.
        List<ChangeEnvelope> first = LabHistory.withDuplicates(random, history.inOrder(random));
        List<ChangeEnvelope> second = new ArrayList<>(first);
        Collections.shuffle(first, random);
        Collections.shuffle(second, random);
        List<List<ChangeEnvelope>> one = LabHistory.batches(random, first, 25);
        List<List<ChangeEnvelope>> two = LabHistory.batches(random, second, 25);
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> one.forEach(this::apply));
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> two.forEach(this::apply));
        CompletableFuture.allOf(a, b).get(2, TimeUnit.MINUTES);
        assertFinalState(seed, history);
        assertEventsMarkRealEdges(seed, history, events(prefix));
    }

    /**
     * A record another processor creates (uncommitted) while a batch for it
     * has already taken its locks: the batch's insert waits for that
     * transaction, finds the row there, and the batch is applied again over
     * it — the other processor's state is neither overwritten blindly nor lost.
     */
    @org.junit.jupiter.api.Test
    void aRecordCreatedByAnotherProcessorMeanwhileIsLockedAndAppliedOverNotOverwritten() throws Exception {
        String id = "meanwhile-" + UUID.randomUUID();
        Instant first = Instant.parse("2026-11-01T10:00:00Z");
        JsonNode older = json("{\"amount\": 1}");
        JsonNode newer = json("{\"amount\": 2}");
        io.vertx.mutiny.sqlclient.SqlConnection other = pool.getConnection().await().atMost(Duration.ofSeconds(5));
        try {
            io.vertx.mutiny.sqlclient.Transaction tx = other.begin().await().atMost(Duration.ofSeconds(5));
            other.preparedQuery("INSERT INTO records (source, resource, id, updated_at, deleted, data, content_hash, applied_at) "
                    + "VALUES ($1, $2, $3, $4, false, $5::jsonb, $6, now())")
                    .execute(Tuple.of(LabHistory.SOURCE, LabHistory.RESOURCE, id, java.time.OffsetDateTime.ofInstant(first, java.time.ZoneOffset.UTC),
                            older.toString(), io.vertx.core.buffer.Buffer.buffer(ContentHash.of(older).bytes())))
                    .await().atMost(Duration.ofSeconds(5));
            CompletableFuture<Void> batch = CompletableFuture.runAsync(() -> apply(List.of(new ChangeEnvelope(LabHistory.SOURCE,
                    LabHistory.RESOURCE, id, dev.tidemark.change.Op.UPSERT, first.plusSeconds(1), newer,
                    dev.tidemark.change.Origin.WEBHOOK, "meanwhile", Instant.now()))));
            Thread.sleep(500);
            assertThat(batch).as("the batch waits for the other transaction's new row").isNotDone();
            tx.commit().await().atMost(Duration.ofSeconds(5));
            batch.get(30, TimeUnit.SECONDS);
        } finally {
            other.closeAndForget();
        }
        Row row = pool.preparedQuery("SELECT updated_at, data::text AS data FROM records WHERE source = $1 AND resource = $2 AND id = $3")
                .execute(Tuple.of(LabHistory.SOURCE, LabHistory.RESOURCE, id)).await().atMost(Duration.ofSeconds(5)).iterator().next();
        assertThat(row.getOffsetDateTime("updated_at").toInstant()).isEqualTo(first.plusSeconds(1));
        assertThat(json(row.getString("data"))).isEqualTo(newer);
    }

    void apply(List<ChangeEnvelope> batch) {
        processor.apply(batch).await().atMost(Duration.ofSeconds(30));
    }

    void assertFinalState(long seed, LabHistory history) {
        history.histories.forEach((id, versions) -> {
            Version last = versions.get(versions.size() - 1);
            Row row = pool.preparedQuery("SELECT updated_at, deleted, data::text AS data FROM records WHERE source = $1 AND resource = $2 AND id = $3")
                    .execute(Tuple.of(LabHistory.SOURCE, LabHistory.RESOURCE, id)).await().indefinitely().iterator().next();
            assertThat(row.getOffsetDateTime("updated_at").toInstant()).as("seed %d: %s updated_at", seed, id).isEqualTo(last.at());
            assertThat(row.getBoolean("deleted")).as("seed %d: %s deleted", seed, id).isEqualTo(last.deleted());
            if (!last.deleted()) {
                assertThat(json(row.getString("data"))).as("seed %d: %s data", seed, id).isEqualTo(last.data());
            }
        });
    }

    /**
     * Each event's previous and new states are states of the true history, in
     * that order, with the rule's edge between them; the spans of one rule's
     * events on one record never overlap, so no true edge is marked twice.
     */
    void assertEventsMarkRealEdges(long seed, LabHistory history, List<Event> events) {
        assertThat(events.stream().map(Event::id).distinct().count()).as("seed %d: distinct event ids", seed).isEqualTo(events.size());
        Map<String, Set<Integer>> covered = new HashMap<>();
        for (Event event : events) {
            List<Version> versions = history.histories.get(event.record());
            int to = index(versions, event.at());
            int from = event.previousAt() == null ? -1 : index(versions, event.previousAt());
            assertThat(to).as("seed %d: %s is a true state", seed, event.edge()).isGreaterThanOrEqualTo(0);
            assertThat(from).as("seed %d: %s comes after its previous state", seed, event.edge()).isLessThan(to);
            Version before = from < 0 ? null : versions.get(from);
            assertThat(LabHistory.fires(event.rule(), before, versions.get(to))).as("seed %d: %s is an edge", seed, event.edge()).isTrue();
            for (int i = from + 1; i <= to; i++) {
                assertThat(covered.computeIfAbsent(event.rule() + " " + event.record(), k -> new HashSet<>()).add(i))
                        .as("seed %d: %s overlaps another event of its rule", seed, event.edge()).isTrue();
            }
        }
    }

    static int index(List<Version> versions, Instant at) {
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i).at().equals(at)) {
                return i;
            }
        }
        return -2;
    }

    record Event(String id, String rule, String record, Instant at, Instant previousAt) {
        String edge() {
            return rule + " " + record + " " + at;
        }
    }

    /** The events the processor wrote to the outbox for these records, in outbox order. */
    List<Event> events(String prefix) {
        List<Event> events = new ArrayList<>();
        for (Row row : pool.preparedQuery("SELECT payload::text AS payload FROM outbox WHERE topic = 'events' AND aggregate_id LIKE $1 ORDER BY seq")
                .execute(Tuple.of(LabHistory.SOURCE + "/" + LabHistory.RESOURCE + "/" + prefix + "-%")).await().indefinitely()) {
            JsonNode event = json(row.getString("payload"));
            JsonNode data = event.get("data");
            JsonNode previous = data.get("previous");
            events.add(new Event(event.get("id").asText(), data.get("rule").asText(), event.get("subject").asText(),
                    Instant.parse(data.get("record").get("updatedAt").asText()),
                    previous.isNull() ? null : Instant.parse(previous.get("updatedAt").asText())));
            assertThat(Instant.parse(event.get("time").asText())).isEqualTo(Instant.parse(data.get("record").get("updatedAt").asText()));
        }
        return events;
    }

    /** A flat JSON object with its keys sorted: PostgreSQL's jsonb keeps its own key order. */
    static String canonical(JsonNode data) {
        return LabHistory.JSON.convertValue(data, java.util.TreeMap.class).toString();
    }

    /** The changelog entries written for one record, in outbox order, as "updatedAt data" or "tombstone". */
    List<String> changelog(String id) {
        List<String> entries = new ArrayList<>();
        for (Row row : pool.preparedQuery("SELECT payload::text AS payload FROM outbox WHERE topic = 'records' AND aggregate_id = $1 ORDER BY seq")
                .execute(Tuple.of(LabHistory.SOURCE + "/" + LabHistory.RESOURCE + "/" + id)).await().indefinitely()) {
            String payload = row.getString("payload");
            if (payload == null) {
                entries.add("tombstone");
                continue;
            }
            JsonNode view = json(payload);
            entries.add(Instant.parse(view.get("updatedAt").asText()) + " " + canonical(view.get("data")));
        }
        return entries;
    }

    static JsonNode json(String text) {
        try {
            return LabHistory.JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
