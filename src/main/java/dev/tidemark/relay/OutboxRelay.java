package dev.tidemark.relay;

import dev.tidemark.outbox.OutboxSignal;
import dev.tidemark.outbox.OutboxStore;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.outbox.OutboxEntry;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox: events to {@code tidemark.events}, applied states to
 * the compacted {@code tidemark.records}. One relay at a time (a
 * transaction-scoped advisory lock) claims the oldest unpublished rows in seq
 * order, publishes them and waits for Kafka's acknowledgement, then marks
 * them published in the same transaction. A crash between publish and mark
 * leaves the rows unpublished, so they go out again with the same event ids:
 * never a second distinct event, never one lost.
 *
 * <p>It wakes when a processor commits (in-process, and PostgreSQL
 * LISTEN/NOTIFY across replicas) and polls slowly as a safety net; the same
 * poll refreshes the backlog gauges and removes published rows older than the
 * retention.
 *
 * <p>It publishes with a Kafka producer of its own rather than through a
 * SmallRye channel: the connector re-sends a failed record on its own, seconds
 * later, after the records sent behind it — a record's older state would then
 * land after its newer one and stay the compacted changelog's last word — and
 * a pass could end while some of its sends were still pending. Here a pass
 * sends its rows in seq order through one idempotent producer, stops sending
 * at the first failure, and ends only when every send it made is settled.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final OutboxStore store;
    private final OutboxSignal signal;
    private final Map<String, Object> kafkaConfig;
    private final TidemarkConfig config;
    private final MeterRegistry metrics;
    private final Vertx vertx;
    private final String databaseUrl;
    private final Optional<String> databaseUser;
    private final Optional<String> databasePassword;

    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean again;
    private volatile boolean stopped;
    private final AtomicLong backlogRows = new AtomicLong();
    private final AtomicLong oldestAgeMillis = new AtomicLong();
    private final List<Long> timers = new ArrayList<>();
    private PgSubscriber subscriber;
    private volatile Producer<String, String> producer;
    private KafkaClientMetrics producerMetrics;

    /** Test seam: runs after Kafka acknowledged a claimed page and before it is marked published. */
    private volatile Function<List<OutboxStore.Claimed>, Uni<Void>> afterPublish = published -> Uni.createFrom().voidItem();

    public OutboxRelay(OutboxStore store, OutboxSignal signal,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            TidemarkConfig config, MeterRegistry metrics, Vertx vertx,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String databaseUrl,
            @ConfigProperty(name = "quarkus.datasource.username") Optional<String> databaseUser,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> databasePassword) {
        this.store = store;
        this.signal = signal;
        this.kafkaConfig = kafkaConfig;
        this.config = config;
        this.metrics = metrics;
        this.vertx = vertx;
        this.databaseUrl = databaseUrl;
        this.databaseUser = databaseUser;
        this.databasePassword = databasePassword;
    }

    /**
     * The application's Kafka settings (bootstrap servers, security: every
     * {@code kafka.*} property), with what the relay needs on top: every
     * in-sync replica acknowledges, idempotence keeps a partition's order
     * through the producer's own retries, and no lingering (a pass sends its
     * rows at once and then waits for them).
     */
    private Producer<String, String> createProducer() {
        Map<String, Object> settings = new HashMap<>(kafkaConfig);
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, "tidemark-relay");
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        settings.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        settings.keySet().removeIf(key -> key.startsWith("key.") || key.startsWith("value.") || !ProducerConfig.configNames().contains(key)
                && !key.startsWith("sasl.") && !key.startsWith("ssl.") && !key.equals("security.protocol"));
        KafkaProducer<String, String> created = new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer());
        producerMetrics = new KafkaClientMetrics(created);
        producerMetrics.bindTo(metrics);
        return created;
    }

    void start(@Observes StartupEvent started) {
        if (!Roles.RELAY.runsIn(config)) {
            return;
        }
        producer = createProducer();
        metrics.gauge("tidemark.outbox.backlog", backlogRows);
        metrics.gauge("tidemark.outbox.oldest.age.seconds", oldestAgeMillis, age -> age.get() / 1000.0);
        signal.onWake(this::trigger);
        listen();
        TidemarkConfig.Relay relay = config.relay();
        timers.add(vertx.setPeriodic(relay.pollInterval().toMillis(), id -> {
            trigger();
            refreshBacklog();
        }));
        timers.add(vertx.setPeriodic(relay.cleanupInterval().toMillis(), id -> cleanUp()));
        trigger();
    }

    void stop(@Observes ShutdownEvent stopping) {
        stopped = true;
        timers.forEach(vertx::cancelTimer);
        if (subscriber != null) {
            subscriber.closeAndForget();
        }
        if (producer != null) {
            producerMetrics.close();
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** For crash tests: what happens between publishing a page and marking it published. */
    void afterPublish(Function<List<OutboxStore.Claimed>, Uni<Void>> step) {
        this.afterPublish = step;
    }

    /** Publishes now, or right after the pass under way. */
    public void trigger() {
        again = true;
        if (!stopped && running.compareAndSet(false, true)) {
            again = false;
            relayOnce().subscribe().with(published -> {
                running.set(false);
                if (published >= config.relay().batchSize() || again) {
                    trigger();
                }
            }, failure -> {
                running.set(false);
                // Nothing was marked: the same rows go out again on the next wake or poll.
                LOG.warnf("relaying the outbox failed, will retry: %s", failure.toString());
            });
        }
    }

    /** One pass: claim up to a batch, publish, mark. Returns how many rows it published (0 if another replica leads). */
    Uni<Integer> relayOnce() {
        long started = System.nanoTime();
        return store.pool().withTransaction(conn -> store.lead(conn).chain(lead -> {
            if (!lead) {
                return Uni.createFrom().item(0);
            }
            return store.claim(conn, config.relay().batchSize()).chain(claimed -> {
                if (claimed.isEmpty()) {
                    return Uni.createFrom().item(0);
                }
                long claimedAt = System.nanoTime();
                metrics.timer("tidemark.relay.claim").record(claimedAt - started, java.util.concurrent.TimeUnit.NANOSECONDS);
                return publish(claimed)
                        .invoke(() -> metrics.timer("tidemark.relay.kafka.ack")
                                .record(System.nanoTime() - claimedAt, java.util.concurrent.TimeUnit.NANOSECONDS))
                        .call(() -> afterPublish.apply(claimed))
                        .call(refused -> store.markUnpublishable(conn, refused))
                        .call(refused -> store.mark(conn, claimed.stream().filter(row -> !refused.containsKey(row)).toList()))
                        .invoke(refused -> claimed.stream().filter(row -> !refused.containsKey(row)).collect(java.util.stream.Collectors.groupingBy(
                                        OutboxStore.Claimed::topic, java.util.stream.Collectors.counting()))
                                .forEach((topic, n) -> metrics.counter("tidemark.relay.published", "topic", topic).increment(n)))
                        .replaceWith(claimed.size());
            });
        })).invoke(published -> {
            if (published > 0) {
                metrics.timer("tidemark.relay.pass").record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
                metrics.summary("tidemark.relay.pass.rows").record(published);
            }
        });
    }

    /**
     * Sends the rows in seq order and waits until every send is settled, on a
     * worker thread (a send blocks while the producer has no metadata for the
     * topic). Returns the rows Kafka refused for good — larger than it
     * accepts — with the reason; they are marked so and the pass goes on.
     * Any other failure stops the sending (a row sent after one that failed
     * could overtake it when the failed one goes out again) and fails the
     * pass: nothing is marked, and the next pass sends the same rows again.
     */
    private Uni<Map<OutboxStore.Claimed, String>> publish(List<OutboxStore.Claimed> claimed) {
        return Uni.createFrom().item(() -> publishAndWait(claimed)).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private Map<OutboxStore.Claimed, String> publishAndWait(List<OutboxStore.Claimed> claimed) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(claimed.size());
        RuntimeException failure = null;
        for (OutboxStore.Claimed row : claimed) {
            String topic = OutboxEntry.RECORDS.equals(row.topic()) ? config.topics().records() : config.topics().events();
            Future<RecordMetadata> send;
            try {
                send = producer.send(new ProducerRecord<>(topic, row.key(), row.payload()));
            } catch (RuntimeException e) {
                failure = e;
                break;
            }
            sends.add(send);
            // The producer answers some failures at once (no metadata within max.block.ms): send nothing after
            // them. The loop below finds that failure among the sends and fails the pass with it.
            if (send.isDone()) {
                Throwable early = settle(send);
                if (early != null && refusal(early) == null) {
                    break;
                }
            }
        }
        Map<OutboxStore.Claimed, String> refused = new LinkedHashMap<>();
        for (int i = 0; i < sends.size(); i++) {
            Throwable error = settle(sends.get(i));
            if (error == null) {
                continue;
            }
            String reason = refusal(error);
            if (reason != null) {
                refused.put(claimed.get(i), reason);
                metrics.counter("tidemark.relay.unpublishable", "topic", claimed.get(i).topic()).increment();
                LOG.warnf("outbox row %s (%s, %d characters) can never be published and is marked so: %s",
                        claimed.get(i).id(), claimed.get(i).topic(), claimed.get(i).payload() == null ? 0 : claimed.get(i).payload().length(), reason);
            } else if (failure == null) {
                failure = error instanceof RuntimeException runtime ? runtime : new IllegalStateException(error);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return refused;
    }

    /** Waits for a send; its failure, or null. */
    private static Throwable settle(Future<RecordMetadata> send) {
        try {
            send.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    /** Why Kafka will never take this record, or null if it might later (or the failure is not the record's). */
    private static String refusal(Throwable error) {
        return error instanceof RecordTooLargeException ? "too large for Kafka: " + error.getMessage() : null;
    }

    private void listen() {
        PgConnectOptions options = PgConnectOptions.fromUri(databaseUrl);
        databaseUser.ifPresent(options::setUser);
        databasePassword.ifPresent(options::setPassword);
        subscriber = PgSubscriber.subscriber(vertx, options);
        // Keep listening across database restarts; until it is back, the poll is the safety net.
        subscriber.reconnectPolicy(retries -> 1_000L);
        subscriber.channel(OutboxStore.CHANNEL).handler(payload -> trigger());
        subscriber.connect().subscribe().with(ignored -> LOG.debug("listening for outbox commits"),
                failure -> LOG.warnf("cannot LISTEN for outbox commits, polling every %s: %s",
                        config.relay().pollInterval(), failure.toString()));
    }

    private void refreshBacklog() {
        store.backlog().subscribe().with(backlog -> {
            backlogRows.set(backlog.rows());
            oldestAgeMillis.set(backlog.oldest().map(at -> Math.max(0, Duration.between(at, Instant.now()).toMillis())).orElse(0L));
        }, failure -> LOG.debugf("outbox backlog not read: %s", failure.toString()));
    }

    private void cleanUp() {
        store.clean(config.relay().retention(), 10_000).subscribe().with(
                removed -> {
                    if (removed > 0) {
                        LOG.debugf("removed %d published outbox rows older than %s", removed, config.relay().retention());
                    }
                },
                failure -> LOG.debugf("outbox clean-up failed, will retry: %s", failure.toString()));
    }
}
