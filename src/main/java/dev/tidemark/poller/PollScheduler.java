package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import dev.tidemark.change.Connection;
import dev.tidemark.connections.ConnectionState;
import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.metrics.Metric;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Starts each resource's incremental poll on its {@code schedule} (the first
 * one soon after the resource is first seen: with no checkpoint it is a full
 * backfill) and its reconciliation sweep on its {@code reconcile} interval.
 * The schedule is rows in PostgreSQL ({@link ScheduleStore}), not timers: on
 * every tick this replica starts the work that is due, the longest due first,
 * and moves each started row one interval on. Work whose resource another run
 * holds stays due, so a sweep that falls due during a poll starts within a
 * tick of that poll's end, in this replica or another. In a replica with the
 * poller role only; the lease keeps two replicas from running the same
 * resource at once.
 */
@ApplicationScoped
public class PollScheduler {

    private static final Logger LOG = Logger.getLogger(PollScheduler.class);
    static final Duration FIRST_RUN_DELAY = Duration.ofSeconds(2);
    /** Rows read per tick: more than a single-account deployment has resources. */
    static final int DUE_PER_TICK = 100;
    /** The next due time is one interval on plus up to this share of it, so resources added together drift apart. */
    static final double JITTER = 0.05;
    /** How far a due row for a resource this replica does not know is moved on. */
    static final Duration UNKNOWN_ROW_PAUSE = Duration.ofMinutes(10);
    /**
     * How often the rows of every connection are written again from the configuration and the connection's
     * overrides: a resource or sweep added to a source, a changed interval, a row whose write failed.
     */
    public static final Duration RECONCILE_EVERY = Duration.ofMinutes(10);
    static final int RECONCILE_PAGE = 500;

    private final TidemarkConfig config;
    private final ResourceSync sync;
    private final ScheduleStore schedule;
    private final Vertx vertx;
    private final ProviderClient client;
    private final MeterRegistry metrics;
    private final List<Long> timers = new ArrayList<>();
    private final AtomicBoolean ticking = new AtomicBoolean();
    private volatile boolean registered;
    private final AtomicBoolean reconciling = new AtomicBoolean();
    private final AtomicLong dueRows = new AtomicLong();
    private final AtomicLong oldestDueMillis = new AtomicLong();
    private final ConnectionStore connections;
    private final Map<String, AtomicLong> connectionCounts = new java.util.concurrent.ConcurrentHashMap<>();
    static final Duration COUNT_EVERY = Duration.ofSeconds(30);
    private volatile boolean failing;

    public PollScheduler(TidemarkConfig config, ResourceSync sync, ScheduleStore schedule, Vertx vertx, ProviderClient client,
            MeterRegistry metrics, ConnectionStore connections) {
        this.connections = connections;
        this.config = config;
        this.sync = sync;
        this.schedule = schedule;
        this.vertx = vertx;
        this.client = client;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent started) {
        if (!Roles.POLLER.runsIn(config)) {
            return;
        }
        config.sources().forEach((source, settings) -> settings.api().flatMap(TidemarkConfig.ProviderApi::auth)
                .filter(auth -> ConfigKind.named(ProviderAuth.class, auth.type()).map(ProviderAuth::oauth2).orElse(false))
                .ifPresent(auth -> Gauge.builder(Metric.POLLER_AUTH_NEEDS_REAUTHORIZATION,
                        () -> client.needsReauthorization(Connection.implicit(source)) ? 1 : 0).tag("source", source).register(metrics)));
        config.sources().forEach((source, settings) -> settings.resources().forEach((resource, r) -> {
            if (settings.api().isPresent() && r.list().isPresent()) {
                r.schedule().ifPresent(every -> LOG.infof("polling %s every %s", SyncTarget.of(source, resource), every));
                r.reconcile().ifPresent(every -> LOG.infof("sweeping %s for deletions every %s", SyncTarget.of(source, resource), every));
            }
        }));
        Gauge.builder(Metric.POLLER_RUNS_IN_FLIGHT, sync, ResourceSync::inFlight).register(metrics);
        Gauge.builder(Metric.POLLER_DUE_BACKLOG, dueRows, AtomicLong::get).register(metrics);
        Gauge.builder(Metric.POLLER_DUE_OLDEST_AGE, oldestDueMillis, millis -> millis.get() / 1000.0).register(metrics);
        config.sources().forEach((source, settings) -> settings.connections().ifPresent(c -> {
            for (ConnectionState state : ConnectionState.values()) {
                AtomicLong count = new AtomicLong();
                connectionCounts.put(source + "/" + state.configName(), count);
                Gauge.builder(Metric.CONNECTIONS, count, AtomicLong::get).tag("source", source).tag("state", state.configName())
                        .register(metrics);
            }
        }));
        timers.add(vertx.setTimer(FIRST_RUN_DELAY.toMillis(), id -> countConnections()));
        timers.add(vertx.setPeriodic(COUNT_EVERY.toMillis(), id -> countConnections()));
        timers.add(vertx.setPeriodic(config.poller().scheduleTick().toMillis(), id -> tick()));
        // On a timer of its own, never in the tick: a slow or failing pass over thousands of connections must not hold
        // back the work that is due. The first pass soon after start-up.
        timers.add(vertx.setTimer(FIRST_RUN_DELAY.toMillis(), id -> reconcileConnections()));
        timers.add(vertx.setPeriodic(RECONCILE_EVERY.toMillis(), id -> reconcileConnections()));
    }

    /** Counts each source's connections by state for the gauge: one grouped query per source. */
    void countConnections() {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (String source : config.sources().keySet().stream().filter(s -> config.sources().get(s).connections().isPresent()).toList()) {
            all = all.chain(() -> connections.countByState(source).invoke(counts -> {
                for (ConnectionState state : ConnectionState.values()) {
                    connectionCounts.get(source + "/" + state.configName()).set(counts.getOrDefault(state, 0L));
                }
            }).replaceWithVoid());
        }
        all.subscribe().with(ok -> { }, failure -> LOG.debugf("connections not counted: %s", failure.toString()));
    }

    void stop(@Observes ShutdownEvent stopping) {
        timers.forEach(vertx::cancelTimer);
    }

    /** One look at the schedule: registers the configured resources until that has succeeded once, then starts what is due. */
    void tick() {
        if (!ticking.compareAndSet(false, true)) {
            return;   // the last tick is still starting runs
        }
        Uni.createFrom().deferred(() -> registered ? Uni.createFrom().voidItem() : register().invoke(() -> registered = true))
                .chain(() -> schedule.backlog().invoke(backlog -> {
                    dueRows.set(backlog.rows());
                    oldestDueMillis.set(backlog.oldestAge().toMillis());
                }))
                // Only as many rows as the pool has room for: what is due stays due, oldest first, for a later tick or
                // another replica.
                .chain(() -> {
                    int room = Math.min(DUE_PER_TICK, config.poller().maxRuns() - sync.inFlight());
                    return room <= 0 ? Uni.createFrom().item(List.<ScheduleStore.Claimed>of())
                            : schedule.claim(room, config.poller().maxRunsPerConnection(), config.poller().leaseTtl());
                })
                .chain(claimed -> Multi.createFrom().iterable(claimed).onItem().transformToUniAndConcatenate(this::start)
                        .collect().last())
                .subscribe().with(done -> {
                    if (failing) {
                        LOG.info("the schedule is read again");
                    }
                    failing = false;
                    ticking.set(false);
                }, failure -> {
                    // Once per outage, not once a second: the database being away is logged by what needs it.
                    if (!failing) {
                        LOG.warnf("could not read the poller's schedule: %s; trying again every %s", failure.toString(),
                                config.poller().scheduleTick());
                    }
                    failing = true;
                    ticking.set(false);
                });
    }

    /** Writes every configured resource's poll and sweep rows; those already there keep their due times. */
    private Uni<Void> register() {
        List<Uni<Void>> rows = new ArrayList<>();
        config.sources().forEach((source, settings) -> settings.resources().forEach((resource, r) -> {
            if (settings.api().isEmpty() || r.list().isEmpty() || settings.connections().isPresent()) {
                return;   // a source with connections has no account of its own: its connections' rows are written with them
            }
            SyncTarget target = SyncTarget.of(source, resource);
            r.schedule().ifPresent(every -> rows.add(schedule.register(target, ScheduleStore.Kind.POLL, every, FIRST_RUN_DELAY)));
            r.reconcile().ifPresent(every -> rows.add(schedule.register(target, ScheduleStore.Kind.SWEEP, every, every)));
        }));
        return rows.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(rows).andFailFast().replaceWithVoid();
    }

    /**
     * Every {@link #RECONCILE_EVERY}: writes again the rows of each connection of each source with connections,
     * a page at a time, keeping the due times already there (a shorter interval brings one closer). A pass that
     * read every connection then lets the provider client forget the budgets and OAuth2 sessions of those it
     * kept before the pass and no longer found: a connection deleted through another replica's API would
     * otherwise hold its share of this replica's heap for good, a thousand accounts' churn at a time.
     */
    void reconcileConnections() {
        if (!reconciling.compareAndSet(false, true)) {
            return;   // the last pass is still going
        }
        List<String> sources = config.sources().entrySet().stream().filter(e -> e.getValue().connections().isPresent()
                && e.getValue().api().isPresent()).map(Map.Entry::getKey).sorted().toList();
        Set<Connection> keptBefore = client.kept();
        Set<Connection> listed = new HashSet<>();
        Uni<Void> all = Uni.createFrom().voidItem();
        for (String source : sources) {
            all = all.chain(() -> reconcile(source, Optional.empty(), listed));
        }
        all.subscribe().with(done -> {
            keptBefore.removeAll(listed);
            // A run still under way (it ends at its next page) looks its budget up on every call: left for the next pass.
            keptBefore.removeIf(sync::running);
            client.forget(keptBefore);
            reconciling.set(false);
        }, failure -> {
            reconciling.set(false);
            LOG.warnf("could not write the connections' schedule rows again: %s; trying again in %s", failure.toString(),
                    RECONCILE_EVERY);
        });
    }

    private Uni<Void> reconcile(String source, Optional<String> after, Set<Connection> listed) {
        return connections.list(source, RECONCILE_PAGE, after).chain(page -> {
            Uni<Void> rows = Uni.createFrom().voidItem();
            for (var connection : page.connections()) {
                listed.add(connection.connection());
                // One connection's bad row (an override the database cannot add to a time) does not stop the others.
                rows = rows.chain(() -> schedule(connection.connection(), connection.schedule()).onFailure().recoverWithItem(failure -> {
                    LOG.warnf("schedule rows of %s not written: %s", connection.connection(), failure.getClass().getSimpleName());
                    return null;
                }));
            }
            return rows.chain(() -> page.last().isPresent() ? reconcile(source, page.last(), listed) : Uni.createFrom().voidItem());
        });
    }

    /**
     * Starts the run of a row this replica claimed. The row stays claimed while the run goes on (and while its
     * lease keeps it out of every claim) and moves one interval on from its claim when the run ends, so a replica
     * that dies mid-run leaves the row due once its lease runs out, for another replica to resume from the
     * checkpoint. A resource held by another run, or no room left in the pool, gives the row back its due time.
     */
    private Uni<Void> start(ScheduleStore.Claimed claimed) {
        Optional<Duration> every = interval(claimed);
        if (every.isEmpty()) {
            // Not configured here: another replica's configuration (a rolling update), or a resource removed. Moved
            // on rather than left due, so that rows nobody runs never crowd the due work out of a claim.
            return schedule.advance(claimed, UNKNOWN_ROW_PAUSE);
        }
        if (!sync.reserve(claimed.target().connection())) {
            return schedule.putBack(claimed);   // a run asked for through the API took the room meanwhile: it stays due
        }
        SyncMode mode = claimed.kind() == ScheduleStore.Kind.SWEEP ? SyncMode.RECONCILE : SyncMode.INCREMENTAL;
        Duration next = every.get().plusMillis((long) (every.get().toMillis() * JITTER * ThreadLocalRandom.current().nextDouble()));
        // Moved on when the run has ended and before its lease is freed: no replica can start it again in between.
        return sync.begin(claimed.target(), mode, "schedule", status -> schedule.advance(claimed, next)).chain(started -> {
            if (started.isEmpty()) {
                LOG.debugf("%s is held by another run; its %s stays due", claimed.target(), mode);
                return schedule.putBack(claimed);
            }
            return Uni.createFrom().voidItem();   // not awaited: the tick goes on starting the other rows
        }).onFailure(Accounts.Unavailable.class).recoverWithUni(unavailable -> {
            // Paused, waiting for new credentials, or gone: its turn passes; it is looked at again an interval on.
            LOG.debugf("%s of %s not started: %s", mode, claimed.target(), unavailable.getMessage());
            return schedule.advance(claimed, next);
        }).onFailure().recoverWithUni(failure -> {
            LOG.warnf("could not start the %s of %s: %s", mode, claimed.target(), failure.toString());
            return schedule.putBack(claimed).onFailure().recoverWithNull();
        });
    }

    /** The replica's pool has no room for one more run of the connection: a run asked for now is refused, not queued. */
    public static final class PoolFull extends RuntimeException {
        PoolFull(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Starts a run asked for through the API by the scheduled runs' own path: the same pool and share per
     * connection (a full one fails with {@link PoolFull}), the same lease; and when it ends, the row whose work it
     * did (the poll's for a poll or a full walk, the sweep's for a sweep) moves one interval on from then, so the
     * schedule does not repeat it at once. The run's id, or empty when another run holds the resource.
     */
    public Uni<Optional<java.util.UUID>> runNow(SyncTarget target, SyncMode mode) {
        PoolFull full = new PoolFull("as many syncs are running as may (tidemark.poller.max-runs " + config.poller().maxRuns()
                + " in this replica, max-runs-per-connection " + config.poller().maxRunsPerConnection() + " of one connection)");
        if (!sync.reserve(target.connection())) {
            return Uni.createFrom().failure(full);
        }
        ScheduleStore.Kind kind = mode == SyncMode.RECONCILE ? ScheduleStore.Kind.SWEEP : ScheduleStore.Kind.POLL;
        // The place is the run's once begin has it (begin gives it back if no run starts); until then, this gives it
        // back on every way out, a caller that went away included.
        java.util.concurrent.atomic.AtomicBoolean handedOver = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable giveBack = () -> {
            if (handedOver.compareAndSet(false, true)) {
                sync.unreserve(target.connection());
            }
        };
        // The connection's share counts its runs in every replica, as the schedule's claim does (read, not taken:
        // two syncs asked for at the same moment may both pass it). A resource already running answers 409.
        return schedule.busy(target).onFailure().invoke(giveBack).onCancellation().invoke(giveBack).chain(busy -> {
            if (busy.target()) {
                giveBack.run();
                return Uni.createFrom().item(Optional.<ResourceSync.Started>empty());
            }
            if (busy.resources() >= config.poller().maxRunsPerConnection()) {
                giveBack.run();
                return Uni.createFrom().failure(full);
            }
            if (!handedOver.compareAndSet(false, true)) {
                return Uni.createFrom().item(Optional.<ResourceSync.Started>empty());   // cancelled meanwhile
            }
            // Only a run that did the row's work moves it on: a failed one leaves the schedule as it was.
            return sync.begin(target, mode, "api", status -> status == RunStatus.COMPLETED
                    ? schedule.reschedule(target, kind, JITTER) : Uni.createFrom().voidItem());
        }).map(started -> started.map(ResourceSync.Started::id));
    }

    private Optional<Duration> interval(ScheduleStore.Claimed due) {
        TidemarkConfig.Source source = config.sources().get(due.target().source());
        if (source == null || source.api().isEmpty()) {
            return Optional.empty();
        }
        TidemarkConfig.Resource resource = source.resources().get(due.target().resource());
        if (resource == null || resource.list().isEmpty()) {
            return Optional.empty();
        }
        if (!due.target().connection().isImplicit()) {
            // Written with the connection, its own schedule override included; a sweep only while one is configured.
            return source.connections().isEmpty() || (due.kind() == ScheduleStore.Kind.SWEEP && resource.reconcile().isEmpty())
                    ? Optional.empty() : Optional.of(due.every());
        }
        return due.kind() == ScheduleStore.Kind.SWEEP ? resource.reconcile() : resource.schedule();
    }

    /**
     * Writes the rows of a connection's polled resources: each polled on its schedule override or the
     * resource's {@code schedule}, swept on its {@code reconcile}. The first poll (its backfill) falls due
     * within a few seconds, spread over up to a minute so that connections created together do not all call
     * at once; rows already there keep their due times unless the interval got shorter.
     */
    public Uni<Void> schedule(Connection connection, Map<String, String> overrides) {
        // Deferred: an override that cannot be read (stored by hand) fails this Uni, not the caller's thread.
        return Uni.createFrom().deferred(() -> rows(Optional.empty(), connection, overrides));
    }

    /** The same rows, written on {@code db}: a connection's create, in its own transaction, sent together. */
    public Uni<Void> schedule(SqlClient db, Connection connection, Map<String, String> overrides) {
        return Uni.createFrom().deferred(() -> rows(Optional.of(db), connection, overrides));
    }

    private Uni<Void> rows(Optional<SqlClient> db, Connection connection, Map<String, String> overrides) {
        TidemarkConfig.Source source = config.sources().get(connection.source());
        List<Uni<Void>> rows = new ArrayList<>();
        source.resources().forEach((resource, r) -> {
            if (source.api().isEmpty() || r.list().isEmpty()) {
                return;
            }
            SyncTarget target = new SyncTarget(connection, resource, "");
            Optional<Duration> every = Optional.ofNullable(overrides.get(resource)).map(DurationConverter::parseDuration).or(r::schedule);
            every.ifPresent(e -> rows.add(register(db, target, ScheduleStore.Kind.POLL, e, firstDue(e))));
            r.reconcile().ifPresent(e -> rows.add(register(db, target, ScheduleStore.Kind.SWEEP, e, e)));
        });
        return rows.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(rows).andFailFast().replaceWithVoid();
    }

    private Uni<Void> register(Optional<SqlClient> db, SyncTarget target, ScheduleStore.Kind kind, Duration every, Duration first) {
        return db.isPresent() ? schedule.register(db.get(), target, kind, every, first) : schedule.register(target, kind, every, first);
    }

    /**
     * How long after its creation a connection's first poll (its backfill) falls due: a few seconds, plus a random
     * share of its interval up to a minute, so that a thousand connections created together do not call at once.
     */
    static Duration firstDue(Duration every) {
        return FIRST_RUN_DELAY.plusMillis(ThreadLocalRandom.current().nextLong(Math.min(every.toMillis(), 60_000L) + 1));
    }
}
