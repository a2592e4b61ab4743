package dev.tidemark.relay;

import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.processor.OutboxEntry;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
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
 */
@ApplicationScoped
public class OutboxRelay {

    public static final String CHANNEL = "outbox-out";

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final OutboxStore store;
    private final OutboxSignal signal;
    private final MutinyEmitter<Record<String, String>> out;
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

    /** Test seam: runs after Kafka acknowledged a claimed page and before it is marked published. */
    private volatile Function<List<OutboxStore.Claimed>, Uni<Void>> afterPublish = published -> Uni.createFrom().voidItem();

    public OutboxRelay(OutboxStore store, OutboxSignal signal,
            @Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 8192)
            MutinyEmitter<Record<String, String>> out,
            TidemarkConfig config, MeterRegistry metrics, Vertx vertx,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String databaseUrl,
            @ConfigProperty(name = "quarkus.datasource.username") Optional<String> databaseUser,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> databasePassword) {
        this.store = store;
        this.signal = signal;
        this.out = out;
        this.config = config;
        this.metrics = metrics;
        this.vertx = vertx;
        this.databaseUrl = databaseUrl;
        this.databaseUser = databaseUser;
        this.databasePassword = databasePassword;
    }

    void start(@Observes StartupEvent started) {
        if (!Roles.parse(config.roles().orElse(null)).contains(Roles.RELAY)) {
            return;
        }
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
                        .chain(() -> afterPublish.apply(claimed))
                        .chain(() -> store.mark(conn, claimed))
                        .invoke(() -> claimed.stream().collect(java.util.stream.Collectors.groupingBy(
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

    /** Sends in seq order through one producer (idempotent, so per-partition order holds) and waits for every ack. */
    private Uni<Void> publish(List<OutboxStore.Claimed> claimed) {
        List<Uni<Void>> acks = new ArrayList<>(claimed.size());
        for (OutboxStore.Claimed row : claimed) {
            String topic = OutboxEntry.RECORDS.equals(row.topic()) ? config.topics().records() : config.topics().events();
            Message<Record<String, String>> message = Message.of(Record.of(row.key(), row.payload()))
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withTopic(topic).withKey(row.key()).build());
            acks.add(out.sendMessage(message));
        }
        return Uni.join().all(acks).andFailFast().replaceWithVoid();
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
