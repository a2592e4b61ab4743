package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import dev.tidemark.metrics.Metric;
import dev.tidemark.config.TidemarkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * One run over one resource, as a thin coordinator over its stages: take the
 * lease, plan the walk ({@link WalkPlanner}), and hand it to the run of its
 * kind — a {@link Poll}, a {@link Sweep}, or a {@link NestedRun} of either —
 * which fetch pages ({@link PageWalker}), detect what changed
 * ({@link ChangeDetector}), publish it ({@link RecordPublisher}) and
 * checkpoint; then end the run's row and free the resource. The poller never
 * writes records itself; the processor applies what it fetched like any
 * webhook.
 */
@ApplicationScoped
public class ResourceSync {

    private static final Logger LOG = Logger.getLogger(ResourceSync.class);

    private final TidemarkConfig config;
    private final LeaseStore leases;
    private final RunStore runs;
    private final WalkPlanner planner;
    private final Accounts accounts;
    private final Poll poll;
    private final Sweep sweep;
    private final NestedRun nested;
    private final MeterRegistry metrics;
    private final Vertx vertx;
    private final String owner;
    /** The runs this replica has in flight: all, and per connection (the pool's two bounds). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<Connection, Integer> inFlightByConnection = new ConcurrentHashMap<>();
    /** Set once the replica is shutting down: a run cut short by it (the database pool closing) is no defect of the run. */
    private volatile boolean stopping;

    public ResourceSync(TidemarkConfig config, LeaseStore leases, RunStore runs, WalkPlanner planner, Accounts accounts, Poll poll,
            Sweep sweep, NestedRun nested, MeterRegistry metrics, Vertx vertx) {
        this.accounts = accounts;
        this.config = config;
        this.leases = leases;
        this.runs = runs;
        this.planner = planner;
        this.poll = poll;
        this.sweep = sweep;
        this.nested = nested;
        this.metrics = metrics;
        this.vertx = vertx;
        this.owner = replicaName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    void stopping(@Observes ShutdownEvent event) {
        stopping = true;
    }

    /** Runs in flight in this replica. */
    public int inFlight() {
        return inFlight.get();
    }

    /** True while this replica has a run of the connection in flight (or a place in the pool taken for one). */
    boolean running(Connection connection) {
        return inFlightByConnection.containsKey(connection);
    }

    /**
     * Takes a place in the pool for one run of {@code connection} if there is one: fewer than
     * {@code tidemark.poller.max-runs} in flight, and fewer than {@code max-runs-per-connection} of that connection.
     * Taken at once, before the run's lease and row, so that callers arriving together cannot all pass; given back
     * by the run's end, or by {@link #unreserve} when no run starts.
     */
    public synchronized boolean reserve(Connection connection) {
        if (inFlight.get() >= config.poller().maxRuns()
                || inFlightByConnection.getOrDefault(connection, 0) >= config.poller().maxRunsPerConnection()) {
            return false;
        }
        take(connection);
        return true;
    }

    private synchronized void take(Connection connection) {
        inFlight.incrementAndGet();
        inFlightByConnection.merge(connection, 1, Integer::sum);
    }

    /** Gives back a place {@link #reserve} took for a run that did not start. */
    public synchronized void unreserve(Connection connection) {
        inFlight.decrementAndGet();
        inFlightByConnection.computeIfPresent(connection, (c, n) -> n <= 1 ? null : n - 1);
    }

    /** The name this replica holds leases under. */
    public String owner() {
        return owner;
    }

    /**
     * Starts a run if no other holds the resource: its id, or empty when the
     * lease is taken. The run goes on in the background; its row tells how it ends.
     */
    public Uni<Optional<UUID>> start(SyncTarget target, SyncMode mode, String trigger) {
        return beginOutsideThePool(target, mode, trigger).map(started -> started.map(Started::id));
    }

    /** Runs to the end and returns the run's row (empty when another run held the resource). */
    public Uni<Optional<SyncRun>> run(SyncTarget target, SyncMode mode, String trigger) {
        return beginOutsideThePool(target, mode, trigger).chain(started -> started.isEmpty()
                ? Uni.createFrom().item(Optional.<SyncRun>empty())
                : started.get().done().chain(() -> runs.run(started.get().id())));
    }

    /** A run counted in the pool but never refused by it, its place taken when subscribed to: {@link #start}, {@link #run}. */
    private Uni<Optional<Started>> beginOutsideThePool(SyncTarget target, SyncMode mode, String trigger) {
        return Uni.createFrom().deferred(() -> {
            take(target.connection());
            return begin(target, mode, trigger, status -> Uni.createFrom().voidItem());
        });
    }

    /** A run started: its id, and its end (which has already been subscribed to: awaiting it does not run it again). */
    record Started(UUID id, Uni<Void> done) {
    }

    /**
     * Resolves the connection's account, then takes the lease, for a run whose place in the pool the caller has
     * reserved: given back when the run ends, or at once when none starts. Fails with {@link Accounts.Unavailable}
     * when the connection cannot be called as (gone, paused, needing re-authorization): no lease, no run row.
     *
     * @param ending what to do once the run has ended, before its lease is freed (moving its schedule row on: no
     *               other replica can then start the resource again in between), given how the run ended
     */
    Uni<Optional<Started>> begin(SyncTarget target, SyncMode mode, String trigger, java.util.function.Function<RunStatus, Uni<Void>> ending) {
        // Given back when no run starts: the lease was held, the account unavailable, a step failed, or the caller
        // went away before the run began.
        return accounts.of(target.connection()).chain(account -> begin(account, target, mode, trigger, ending))
                .onTermination().invoke((started, failure, cancelled) -> {
                    if (cancelled || failure != null || started.isEmpty()) {
                        unreserve(target.connection());
                    }
                });
    }

    private Uni<Optional<Started>> begin(Account account, SyncTarget target, SyncMode mode, String trigger,
            java.util.function.Function<RunStatus, Uni<Void>> ending) {
        Walk walk = planner.walk(account, target);
        UUID runId = UUID.randomUUID();
        return leases.acquire(target, owner, runId, config.poller().leaseTtl()).chain(acquired -> {
            if (!acquired) {
                return Uni.createFrom().item(Optional.<Started>empty());
            }
            return runs.abandonOthers(target, runId).chain(() -> runs.start(runId, target, mode, trigger, owner)).map(ignored -> {
                // Renewed with every checkpoint, and also every third of its lifetime: a run waiting out a provider's
                // Retry-After or a slow answer must not lose the resource to another replica meanwhile.
                long every = Math.max(1_000, config.poller().leaseTtl().toMillis() / 3);
                long renewal = vertx.setPeriodic(every, id -> leases.renew(target, owner, runId, config.poller().leaseTtl())
                        .subscribe().with(held -> { }, failure -> LOG.debugf("lease of %s not renewed: %s", target, failure)));
                Uni<Void> done = execute(target, walk, mode, new RunContext(runId, owner, new CallStats(), account), ending)
                        .eventually(() -> {
                            vertx.cancelTimer(renewal);
                            unreserve(target.connection());
                        }).memoize().indefinitely();
                done.subscribe().with(ok -> { }, failure -> {
                    if (stopping) {
                        // Its lease runs out and a replica still up resumes the resource from its last checkpoint. Not an
                        // error to page anyone for (the database pool closing under it), but the cause is kept.
                        LOG.warnf("run %s of %s cut short by this replica's shutdown: %s", runId, target, failure);
                    } else {
                        LOG.errorf("run %s of %s ended abnormally: %s", runId, target, failure);
                    }
                });
                return Optional.of(new Started(runId, done));
            });
        });
    }

    private Uni<Void> execute(SyncTarget target, Walk walk, SyncMode mode, RunContext run,
            java.util.function.Function<RunStatus, Uni<Void>> ending) {
        CallStats stats = run.stats();
        long started = System.nanoTime();
        Optional<Nest> nest = planner.nest(target);
        Uni<RunOutcome> outcome = Uni.createFrom().deferred(() -> {
            if (nest.isPresent()) {
                return mode == SyncMode.RECONCILE ? nested.sweep(target, walk, nest.get(), run) : nested.poll(target, nest.get(), mode, run);
            }
            return mode == SyncMode.RECONCILE ? sweep.run(walk, run) : poll.run(walk, mode, run);
        })
                // A failure before the walk began (the database, say) still ends the run and frees the resource.
                .onFailure().recoverWithItem(RunOutcome::of);
        return outcome.chain(ended -> {
            metrics.counter(Metric.POLLER_RUNS, "source", target.source(), "resource", target.resource(),
                    "mode", mode.configName(), "status", ended.status().configName()).increment();
            LOG.infof("sync %s run=%s %s %s: %d calls, %d pages, %d records, %d retries, %d rate-limit waits, %d ms",
                    target, run.id(), mode, ended.status(), stats.calls(), stats.pages(), stats.records(), stats.retries(),
                    stats.rateLimitWaits(), (System.nanoTime() - started) / 1_000_000);
            return runs.end(run.id(), stats, ended.status(), ended.error())
                    .eventually(() -> ending.apply(ended.status()).onFailure().invoke(failure ->
                            LOG.warnf("after run %s of %s: %s", run.id(), target, failure.toString())).onFailure().recoverWithNull())
                    .eventually(() -> leases.release(target, owner, run.id()));
        });
    }

    private static String replicaName() {
        String host = System.getenv("HOSTNAME");
        return host == null || host.isBlank() ? "tidemark" : host;
    }
}
