package dev.tidemark.relay;

import dev.tidemark.metrics.Metric;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.outbox.OutboxSignal;
import dev.tidemark.outbox.OutboxStore;
import dev.tidemark.outbox.OutboxStore.Claimed;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.literal.NamedLiteral;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox through the configured {@link EventSink} (Kafka:
 * events to {@code tidemark.events}, applied states to the compacted
 * {@code tidemark.records}). One relay at a time (a
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

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final OutboxStore store;
    private final OutboxSignal signal;
    private final Instance<EventSink> sinks;
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
    private volatile EventSink sink;

    /** Test seam: runs after Kafka acknowledged a claimed page and before it is marked published. */
    private volatile Function<List<Claimed>, Uni<Void>> afterPublish = published -> Uni.createFrom().voidItem();

    public OutboxRelay(OutboxStore store, OutboxSignal signal,
            @Any Instance<EventSink> sinks,
            TidemarkConfig config, MeterRegistry metrics, Vertx vertx,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String databaseUrl,
            @ConfigProperty(name = "quarkus.datasource.username") Optional<String> databaseUser,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> databasePassword) {
        this.store = store;
        this.signal = signal;
        this.sinks = sinks;
        this.config = config;
        this.metrics = metrics;
        this.vertx = vertx;
        this.databaseUrl = databaseUrl;
        this.databaseUser = databaseUser;
        this.databasePassword = databasePassword;
    }

    /** The sink {@code tidemark.relay.sink} names (the start-up check has refused any other). */
    private EventSink sink() {
        String name = config.relay().sink();
        EventSink.unknown(sinks, name).ifPresent(problem -> {
            throw new IllegalStateException(problem);
        });
        return sinks.select(NamedLiteral.of(name)).get();
    }

    void start(@Observes StartupEvent started) {
        if (!Roles.RELAY.runsIn(config)) {
            return;
        }
        sink = sink();
        sink.open();
        metrics.gauge(Metric.OUTBOX_BACKLOG, backlogRows);
        metrics.gauge(Metric.OUTBOX_OLDEST_AGE_SECONDS, oldestAgeMillis, age -> age.get() / 1000.0);
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
        if (sink != null) {
            sink.close();
        }
    }

    /** For crash tests: what happens between publishing a page and marking it published. */
    void afterPublish(Function<List<Claimed>, Uni<Void>> step) {
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
                metrics.timer(Metric.RELAY_CLAIM).record(claimedAt - started, TimeUnit.NANOSECONDS);
                return publish(claimed)
                        .invoke(() -> metrics.timer(Metric.RELAY_SINK_ACK)
                                .record(System.nanoTime() - claimedAt, TimeUnit.NANOSECONDS))
                        .call(() -> afterPublish.apply(claimed))
                        .call(refused -> store.markUnpublishable(conn, refused))
                        .call(refused -> store.mark(conn, claimed.stream().filter(row -> !refused.containsKey(row)).toList()))
                        .invoke(refused -> claimed.stream().filter(row -> !refused.containsKey(row)).collect(Collectors.groupingBy(
                                        Claimed::topic, Collectors.counting()))
                                .forEach((topic, n) -> metrics.counter(Metric.RELAY_PUBLISHED, "topic", topic).increment(n)))
                        .replaceWith(claimed.size());
            });
        })).invoke(published -> {
            if (published > 0) {
                metrics.timer(Metric.RELAY_PASS).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                metrics.summary(Metric.RELAY_PASS_ROWS).record(published);
            }
        });
    }

    /**
     * Publishes the rows in seq order through the sink, on a worker thread
     * (a send may block: Kafka's producer does while it has no metadata for
     * the topic). Returns the rows the sink refused for good, with the reason;
     * they are marked so and the pass goes on. Any other failure fails the
     * pass: nothing is marked, and the next pass sends the same rows again.
     */
    private Uni<Map<Claimed, String>> publish(List<Claimed> claimed) {
        return Uni.createFrom().item(() -> {
            EventSink.Published published = sink.publish(claimed);
            published.refused().forEach((row, reason) -> {
                metrics.counter(Metric.RELAY_UNPUBLISHABLE, "topic", row.topic()).increment();
                LOG.warnf("outbox row %s (%s, %d characters) can never be published and is marked so: %s",
                        row.id(), row.topic(), row.payload() == null ? 0 : row.payload().length(), reason);
            });
            if (published.failure().isPresent()) {
                throw published.failure().get();
            }
            return published.refused();
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
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
