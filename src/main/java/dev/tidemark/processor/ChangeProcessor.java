package dev.tidemark.processor;

import dev.tidemark.metrics.Metric;
import dev.tidemark.change.Transition;
import dev.tidemark.change.StoredState;
import dev.tidemark.outbox.OutboxEntry;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.Causes;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.RecordKey;
import dev.tidemark.change.Timestamps;
import dev.tidemark.outbox.OutboxSignal;
import dev.tidemark.outbox.OutboxStore;
import dev.tidemark.rules.RuleSet;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.DateTimeException;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.kafka.common.errors.RecordTooLargeException;

/**
 * Consumes {@code tidemark.changes} a batch at a time and applies it in one
 * database transaction: lock the batch's rows in key order, apply each
 * record's changes in updated_at order, write, commit, and only then
 * acknowledge the offsets. A value that is not a change envelope, or a change
 * the database refuses, goes to the dead-letter topic with the reason in a
 * header, and the rest of the batch is applied; nothing is dropped silently.
 */
@ApplicationScoped
public class ChangeProcessor {

    public static final String CHANNEL = "changes-in";
    public static final String DLQ_CHANNEL = "changes-dlq";
    public static final String DLQ_REASON_HEADER = "tidemark-dlq-reason";
    /** The reason of a change whose routing key no connection holds (docs/connections.md). */
    public static final String UNKNOWN_CONNECTION = "unknown-connection";
    /** The reason of a change of a connection deleted since: never redriven (docs/connections.md "Deleting"). */
    public static final String DELETED_CONNECTION = "deleted-connection";

    private static final Logger LOG = Logger.getLogger(ChangeProcessor.class);

    private final RecordRepository records;
    private final OutboxStore outbox;
    private final OutboxEntries entries;
    private final RuleSet rules;
    private final ChangePublisher refetches;
    private final OutboxSignal committed;
    private final ObjectMapper json;
    private final MutinyEmitter<String> deadLetters;
    private final MeterRegistry metrics;
    private final AccountRouter router;

    public ChangeProcessor(RecordRepository records, OutboxStore outbox, OutboxEntries entries, RuleSet rules,
            ChangePublisher refetches, OutboxSignal committed, ObjectMapper json,
            @Channel(DLQ_CHANNEL) MutinyEmitter<String> deadLetters, MeterRegistry metrics, AccountRouter router) {
        this.router = router;
        this.records = records;
        this.outbox = outbox;
        this.entries = entries;
        this.rules = rules;
        this.refetches = refetches;
        this.committed = committed;
        this.json = json;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(KafkaRecordBatch<String, String> batch) {
        List<Parsed> parsed = new ArrayList<>();
        List<Uni<Void>> deadLettered = new ArrayList<>();
        for (KafkaRecord<String, String> record : batch) {
            try {
                ChangeEnvelope change = json.readValue(record.getPayload(), ChangeEnvelope.class);
                if (change == null || change.source() == null || change.resource() == null || change.id() == null
                        || change.op() == null || change.origin() == null || change.updatedAt() == null) {
                    throw new IllegalArgumentException("a required envelope field is missing");
                }
                if (!Timestamps.inRange(change.updatedAt())) {
                    throw new IllegalArgumentException("updatedAt is outside the years 1 to 9999");
                }
                parsed.add(new Parsed(change, record));
            } catch (Exception e) {
                deadLettered.add(deadLetter(record, e));
            }
        }
        Uni<Void> dlq = deadLettered.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(deadLettered).andFailFast().replaceWithVoid();
        return dlq.chain(() -> route(parsed)
                        .onFailure().invoke(e -> LOG.warnf("routing a batch of %d changes to their connections failed, retrying: %s",
                                parsed.size(), e.toString()))
                        .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely())
                .chain(routed -> applyOrIsolate(routed)
                        // A database outage is not poison: wait and retry the whole batch, skipping nothing.
                        .onFailure().invoke(e -> LOG.warnf("applying a batch of %d changes failed, retrying: %s", routed.size(), e.toString()))
                        .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely())
                .chain(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    /**
     * The batch with each change that names its account by a routing key given to that account's connection; a
     * change whose key no connection holds, or whose connection no longer exists, goes to the dead-letter topic
     * (reason {@code unknown-connection}), from where a redrive after the connection is created applies it.
     */
    private Uni<List<Parsed>> route(List<Parsed> parsed) {
        if (parsed.stream().allMatch(p -> p.change().connection().isEmpty() && !p.change().unrouted())) {
            return Uni.createFrom().item(parsed);   // a source's implicit connection always exists
        }
        return router.route(parsed.stream().map(Parsed::change).toList()).chain(routed -> {
            List<Parsed> known = new ArrayList<>();
            List<ChangeEnvelope> refetchRequests = new ArrayList<>();
            List<Uni<Void>> unknown = new ArrayList<>();
            for (int i = 0; i < parsed.size(); i++) {
                Parsed one = parsed.get(i);
                if (routed.get(i).isPresent()) {
                    known.add(new Parsed(routed.get(i).get(), one.record()));
                    if (one.change().unrouted() && one.change().op() == Op.REFETCH) {
                        // The poller serves a thin webhook's refetch once it names its connection: sent on again, routed.
                        refetchRequests.add(routed.get(i).get());
                    }
                } else {
                    boolean deleted = !one.change().unrouted();
                    unknown.add(deadLetter(one.record(), deleted ? new AccountRouter.DeletedConnection(one.change().owner())
                            : new AccountRouter.UnknownConnection(one.change().source()))
                            .invoke(() -> metrics.counter(Metric.PROCESSOR_UNKNOWN_CONNECTIONS, "source", one.change().source(),
                                    "reason", deleted ? DELETED_CONNECTION : UNKNOWN_CONNECTION).increment()));
                }
            }
            Uni<Void> sent = refetchRequests.isEmpty() ? Uni.createFrom().voidItem() : refetches.publish(refetchRequests);
            return sent.chain(() -> unknown.isEmpty() ? Uni.createFrom().item(known)
                    : Uni.join().all(unknown).andFailFast().replaceWith(known));
        });
    }

    /** A change and the Kafka record it came in, to dead-letter as it was. */
    private record Parsed(ChangeEnvelope change, KafkaRecord<String, String> record) {
    }

    /**
     * The batch in one transaction; if the database or the apply refuses
     * something in it that no retry will cure ({@link #isPoison}), each
     * change on its own, in key and updated_at order, and the ones refused
     * alone go to the dead-letter topic. Applying them one by one gives each
     * record the same sequence of states the batch would have (the batch
     * applies a record's changes in updated_at order too), so the same edges.
     * A failure of another kind (the database gone) fails the whole call, and
     * the caller applies the batch again: what committed is then a duplicate.
     */
    private Uni<Void> applyOrIsolate(List<Parsed> parsed) {
        return apply(parsed.stream().map(Parsed::change).toList())
                .onFailure(ChangeProcessor::isPoison).recoverWithUni(refused -> {
                    LOG.warnf("a batch of %d changes holds one that cannot be applied (%s); applying them one at a time",
                            parsed.size(), kind(refused));
                    List<Parsed> ordered = new ArrayList<>(parsed);
                    ordered.sort(Comparator.comparing((Parsed p) -> p.change().key())
                            .thenComparing(p -> p.change().updatedAt()));
                    return Multi.createFrom().iterable(ordered)
                            .onItem().transformToUniAndConcatenate(one -> apply(List.of(one.change()))
                                    .onFailure(ChangeProcessor::isPoison).recoverWithUni(e -> deadLetter(one.record(), e)))
                            .collect().last().replaceWithVoid();
                });
    }

    /**
     * True for a failure that applying the same changes again would meet
     * again: the database refused the data (SQLSTATE class 22, data exception:
     * a NUL character in JSON, a timestamp out of its range; 23, a constraint;
     * 54, a limit, such as an id too long for the index), or the apply
     * rejected an argument or a date. Connection failures, timeouts, a
     * database shutting down and serialization failures are not: they pass.
     */
    static boolean isPoison(Throwable failure) {
        return Causes.find(failure, t -> t instanceof PgException || t instanceof IllegalArgumentException
                        || t instanceof DateTimeException || t instanceof ArithmeticException
                        || t instanceof JsonProcessingException)
                .map(t -> t instanceof PgException pg ? refusesData(pg.getSqlState()) : true)
                .orElse(false);
    }

    private static boolean refusesData(String sqlState) {
        return sqlState != null && (sqlState.startsWith("22") || sqlState.startsWith("23") || sqlState.startsWith("54"));
    }

    /** What went wrong, without the message: the database's may quote the data it refused. */
    private static String kind(Throwable failure) {
        return failure instanceof PgException pg ? "SQLSTATE " + pg.getSqlState() : failure.getClass().getSimpleName();
    }

    /**
     * Applies one batch in one transaction and returns only after it
     * committed and every conflict's refetch request is on Kafka. A failure
     * leaves nothing behind (the transaction rolls back) and the whole batch
     * can be applied again: what committed before is then a duplicate.
     */
    public Uni<Void> apply(List<ChangeEnvelope> changes) {
        if (changes.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<RecordKey, List<ChangeEnvelope>> byKey = new TreeMap<>();
        for (ChangeEnvelope change : changes) {
            byKey.computeIfAbsent(change.key(), k -> new ArrayList<>()).add(change);
        }
        List<RecordKey> keys = new ArrayList<>(byKey.keySet());
        return records.pool().withTransaction(conn -> records.lockAndLoad(conn, keys).chain(locked -> {
            Map<RecordKey, StoredState> changed = new HashMap<>();
            Map<RecordKey, OrderedApply.Result> results = new HashMap<>();
            List<OutboxEntry> rows = new ArrayList<>();
            byKey.forEach((key, recordChanges) -> {
                OrderedApply.Result result = OrderedApply.apply(locked.states().get(key), recordChanges);
                results.put(key, result);
                if (result.changed()) {
                    changed.put(key, result.finalState());
                    rows.addAll(outboxRows(key, result.transitions()));
                }
            });
            return records.write(conn, changed, locked.existing())
                    .chain(() -> outbox.insert(conn, rows))
                    .replaceWith(new Applied(results, rows));
        }))
                // A record created by another processor between this batch's lock and its insert (two processors
                // during a rebalance): the transaction rolled back; applied again, the batch locks and reads that row.
                .onFailure(RecordRepository.CreatedMeanwhile.class).invoke(e -> LOG.debugf("%s; applying the batch again", e.getMessage()))
                .onFailure(RecordRepository.CreatedMeanwhile.class).retry().atMost(20)
                .chain(applied -> {
            count(applied.results());
            applied.outboxRows().stream().filter(row -> OutboxEntry.EVENTS.equals(row.topic()))
                    .collect(Collectors.groupingBy(OutboxEntry::type, Collectors.counting()))
                    .forEach((type, n) -> metrics.counter(Metric.EVENTS_WRITTEN, "type", type).increment(n));
            if (!applied.outboxRows().isEmpty()) {
                committed.wake();
            }
            return requestRefetches(applied.results());
        });
    }

    private record Applied(Map<RecordKey, OrderedApply.Result> results, List<OutboxEntry> outboxRows) {
    }

    /** Per record, in applied order: each applied state's changelog entry, then the events of the edge it made. */
    private List<OutboxEntry> outboxRows(RecordKey key, List<Transition> transitions) {
        List<RuleSet.Fired> fired = rules.edges(key, transitions);
        List<OutboxEntry> rows = new ArrayList<>(transitions.size() + fired.size());
        int next = 0;
        for (Transition transition : transitions) {
            rows.add(entries.changelog(key, transition));
            while (next < fired.size() && fired.get(next).transition() == transition) {
                rows.add(entries.event(key, fired.get(next++)));
            }
        }
        return rows;
    }

    /**
     * A webhook that ties the stored updated_at with other content cannot be
     * ordered: it is dropped and the record is asked for again, as an
     * op=refetch change on the input topic (served by the poller). Sent after
     * the commit; if that fails the batch is retried, and the same conflict,
     * still there, asks again.
     */
    private Uni<Void> requestRefetches(Map<RecordKey, OrderedApply.Result> results) {
        List<ChangeEnvelope> requests = new ArrayList<>();
        results.forEach((key, result) -> result.conflicts().forEach(conflict -> requests.add(new ChangeEnvelope(
                key.source(), key.resource(), key.id(), Op.REFETCH, conflict.updatedAt(), null, conflict.origin(),
                conflict.deliveryId(), conflict.observedAt(), conflict.replayKey(), key.connection()))));
        return requests.isEmpty() ? Uni.createFrom().voidItem() : refetches.publish(requests);
    }

    private void count(Map<RecordKey, OrderedApply.Result> results) {
        results.forEach((key, result) -> {
            result.decisions().forEach((decision, n) -> metrics
                    .counter(Metric.PROCESSOR_CHANGES, "source", key.source(), "resource", key.resource(),
                            "decision", decision.name().toLowerCase(Locale.ROOT))
                    .increment(n));
            for (Transition transition : result.transitions()) {
                boolean wasDeleted = transition.previous() != null && transition.previous().deleted();
                if (transition.next().deleted() && !wasDeleted) {
                    metrics.counter(Metric.PROCESSOR_DELETED, "source", key.source(), "resource", key.resource()).increment();
                } else if (wasDeleted && !transition.next().deleted()) {
                    metrics.counter(Metric.PROCESSOR_RESTORED, "source", key.source(), "resource", key.resource()).increment();
                }
            }
        });
    }

    /**
     * Sends the record as it came to the dead-letter topic, the reason in a
     * header. Retried until the broker takes it: a broker outage must not end
     * the processor (an unsent dead letter would fail the channel) nor let the
     * batch's offsets pass without it.
     */
    private Uni<Void> deadLetter(KafkaRecord<String, String> record, Throwable reason) {
        // The header travels with the value itself, so it may quote it; the log line names only the error's kind.
        String why = reason instanceof PgException pg
                ? "the database refused it, SQLSTATE " + pg.getSqlState() + ": " + firstLine(pg.getErrorMessage())
                : reason instanceof AccountRouter.UnknownConnection ? UNKNOWN_CONNECTION + ": " + reason.getMessage()
                : reason instanceof AccountRouter.DeletedConnection ? DELETED_CONNECTION + ": " + reason.getMessage()
                : reason.getClass().getSimpleName() + ": " + firstLine(reason.getMessage());
        String at = record.getTopic() + "-" + record.getPartition() + "@"
                + record.getMetadata(IncomingKafkaRecordMetadata.class).map(m -> String.valueOf(m.getOffset())).orElse("?");
        LOG.warnf("change at %s sent to the dead-letter topic: %s", at, kind(reason));
        return sendDeadLetter(record, why, at, record.getPayload())
                // A value near Kafka's limit does not fit with the headers: the letter goes without it (its place on
                // tidemark.changes, in the origin header, still leads to it) rather than block the partition forever.
                .onFailure(ChangeProcessor::tooLarge).recoverWithUni(tooLarge -> sendDeadLetter(
                        record, why + " (the value, too large to send with this header, was left out)", at, ""))
                .onFailure().invoke(e -> LOG.warnf("the dead-letter topic did not take the change at %s, retrying: %s", at, e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .invoke(() -> metrics.counter(Metric.PROCESSOR_DEAD_LETTERS).increment());
    }

    private static boolean tooLarge(Throwable failure) {
        return Causes.find(failure, RecordTooLargeException.class::isInstance).isPresent();
    }

    private Uni<Void> sendDeadLetter(KafkaRecord<String, String> record, String why, String at, String value) {
        return Uni.createFrom().deferred(() -> {
            RecordHeaders headers = new RecordHeaders();
            headers.add(DLQ_REASON_HEADER, why.getBytes(StandardCharsets.UTF_8));
            headers.add("tidemark-dlq-origin", at.getBytes(StandardCharsets.UTF_8));
            return deadLetters.sendMessage(Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                    .withKey(record.getKey()).withHeaders(headers).build()));
        });
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        // Jackson quotes a snippet of the offending input; keep only the description.
        int source = line.indexOf(" at [Source");
        return (source < 0 ? line : line.substring(0, source));
    }
}
