package dev.tidemark.poller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.config.TidemarkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * One run over one resource: take the lease, start where the checkpoint says,
 * and page through the list endpoint — call, read, put the page's records on
 * {@code tidemark.changes}, and only once Kafka acknowledged them save the
 * checkpoint and renew the lease — until the last page. The poller never
 * writes records itself; the processor applies what it fetched like any
 * webhook.
 */
@ApplicationScoped
public class ResourceSync {

    private static final Logger LOG = Logger.getLogger(ResourceSync.class);

    public static final String INCREMENTAL = "incremental";
    public static final String FULL = "full";
    public static final String RECONCILE = "reconcile";

    /** Rewinds in a row (the list changed under the walk at the same place) before the run gives up. */
    static final int MAX_REWINDS = 5;

    private final TidemarkConfig config;
    private final ProviderClient client;
    private final PollerStore store;
    private final ChangePublisher changes;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final InstantSource clock = InstantSource.system();
    private final String owner;

    private final io.vertx.mutiny.core.Vertx vertx;

    public ResourceSync(TidemarkConfig config, ProviderClient client, PollerStore store, ChangePublisher changes,
            ObjectMapper json, MeterRegistry metrics, io.vertx.mutiny.core.Vertx vertx) {
        this.vertx = vertx;
        this.config = config;
        this.client = client;
        this.store = store;
        this.changes = changes;
        this.json = json;
        this.metrics = metrics;
        this.owner = replicaName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The name this replica holds leases under. */
    public String owner() {
        return owner;
    }

    /** Parents of a nested resource read from the local table at a time. */
    static final int PARENT_PAGE = 100;

    /** Parents in a row whose walk failed (not for being gone) before a nested run stops: the provider is failing, not one parent. */
    static final int MAX_FAILED_PARENTS_IN_A_ROW = 3;

    /**
     * What a walk needs to know, resolved from configuration: for a nested
     * resource, one walk per parent, its target keyed by the parent
     * ({@code parentKey}, what its children's ids start with) and its path
     * filled in with the ancestors' ids.
     */
    private record Walk(SyncTarget target, URI baseUrl, ListQuery query, Pagination pagination, ItemReader reader,
            Duration lookback, boolean byHash, String parentKey, Instant parentUpdatedAt, RunBounds bounds) {

        /**
         * The same walk for a reconciliation sweep: bounded by max-sweep-duration instead of max-run-duration.
         * A sweep cannot resume (it starts from the first page every time), so a poll's bound would stop every
         * sweep of a large resource short and nothing would ever be deleted; but it holds the resource, and must end.
         */
        Walk forSweep() {
            return new Walk(target, baseUrl, query, pagination, reader, lookback, byHash, parentKey, parentUpdatedAt,
                    bounds.forSweep());
        }

        /** The page's items with the ids their records are stored under: the parent's context first, for a nested resource. */
        List<ListItem> records(List<ListItem> items) {
            if (parentKey.isEmpty()) {
                return items;
            }
            return items.stream().map(item -> new ListItem(NestedIds.compose(parentKey, item.id()), item.updatedAt(), item.data())).toList();
        }
    }

    /** A nested resource's place under its parent resource, resolved from configuration. */
    private record Nest(String parentResource, List<String> ancestors, Optional<dev.tidemark.rules.RulePredicate> when,
            boolean skipUnchanged) {

        /** The parent is a top-level record: its id is the provider's, not made of segments. */
        boolean topLevelParent() {
            return ancestors.size() == 1;
        }
    }

    /**
     * Starts a run if no other holds the resource: its id, or empty when the
     * lease is taken. The run goes on in the background; its row tells how it ends.
     */
    public Uni<Optional<UUID>> start(SyncTarget target, String mode, String trigger) {
        return begin(target, mode, trigger).map(started -> started.map(Started::id));
    }

    /** Runs to the end and returns the run's row (empty when another run held the resource). */
    public Uni<Optional<SyncRun>> run(SyncTarget target, String mode, String trigger) {
        return begin(target, mode, trigger).chain(started -> started.isEmpty()
                ? Uni.createFrom().item(Optional.<SyncRun>empty())
                : started.get().done().chain(() -> store.run(started.get().id())));
    }

    private record Started(UUID id, Uni<Void> done) {
    }

    /** How a run ended: completed, partial (cut short by the provider's quota) or failed, and why. */
    private record Outcome(String status, String error, Throwable failure) {

        Outcome(String status, String error) {
            this(status, error, null);
        }

        static Outcome of(Throwable failure) {
            return new Outcome(ResourceSync.status(failure), failure.getMessage(), failure);
        }
    }

    private Uni<Optional<Started>> begin(SyncTarget target, String mode, String trigger) {
        Walk walk = walk(target);
        UUID runId = UUID.randomUUID();
        return store.acquire(target, owner, runId, config.poller().leaseTtl()).chain(acquired -> {
            if (!acquired) {
                return Uni.createFrom().item(Optional.<Started>empty());
            }
            return store.abandonOthers(target, runId).chain(() -> store.startRun(runId, target, mode, trigger, owner)).map(ignored -> {
                // Renewed with every checkpoint, and also every third of its lifetime: a run waiting out a provider's
                // Retry-After or a slow answer must not lose the resource to another replica meanwhile.
                long every = Math.max(1_000, config.poller().leaseTtl().toMillis() / 3);
                long renewal = vertx.setPeriodic(every, id -> store.renew(target, owner, runId, config.poller().leaseTtl())
                        .subscribe().with(held -> { }, failure -> LOG.debugf("lease of %s not renewed: %s", target, failure)));
                Uni<Void> done = execute(target, walk, mode, runId).eventually(() -> vertx.cancelTimer(renewal)).memoize().indefinitely();
                done.subscribe().with(ok -> { }, failure -> LOG.errorf("run %s of %s ended abnormally: %s", runId, target, failure));
                return Optional.of(new Started(runId, done));
            });
        });
    }

    private Uni<Void> execute(SyncTarget target, Walk walk, String mode, UUID runId) {
        CallStats stats = new CallStats();
        long started = System.nanoTime();
        Optional<Nest> nest = nest(target);
        Uni<Outcome> outcome = Uni.createFrom().deferred(() -> {
            if (nest.isPresent()) {
                return RECONCILE.equals(mode) ? sweepNested(target, walk, nest.get(), runId, stats)
                        : pollNested(target, nest.get(), mode, runId, stats);
            }
            return RECONCILE.equals(mode) ? sweep(walk, runId, stats) : poll(walk, mode, runId, stats);
        })
                // A failure before the walk began (the database, say) still ends the run and frees the resource.
                .onFailure().recoverWithItem(Outcome::of);
        return outcome.chain(ended -> {
            metrics.counter("tidemark.poller.runs", "source", target.source(), "resource", target.resource(),
                    "mode", mode, "status", ended.status()).increment();
            LOG.infof("sync %s run=%s %s %s: %d calls, %d pages, %d records, %d retries, %d rate-limit waits, %d ms",
                    target, runId, mode, ended.status(), stats.calls(), stats.pages(), stats.records(), stats.retries(),
                    stats.rateLimitWaits(), (System.nanoTime() - started) / 1_000_000);
            return store.endRun(runId, stats, ended.status(), ended.error())
                    .eventually(() -> store.release(target, owner, runId));
        });
    }

    /** An incremental or full walk: what it reads goes downstream, and the checkpoint follows every page. */
    private Uni<Outcome> poll(Walk walk, String mode, UUID runId, CallStats stats) {
        return store.checkpoint(walk.target()).chain(checkpoint -> poll(walk, mode, runId, stats, checkpoint));
    }

    /** The same, from the walk's {@code checkpoint} as just read. */
    private Uni<Outcome> poll(Walk walk, String mode, UUID runId, CallStats stats, Optional<Checkpoint> checkpoint) {
        String walkMode = walkMode(checkpoint, mode);
        Position from = startPosition(checkpoint, mode, walk);
        LOG.infof("sync %s run=%s mode=%s starts at %s", walk.target(), runId, walkMode, describe(from));
        Instant read = dev.tidemark.change.Timestamps.micros(clock.instant());
        PageSink sink = (items, next) -> changed(walk, walk.records(items), read).chain(changed -> publish(walk.target(), runId, changed, Origin.POLL)
                .chain(() -> store.saveHeld(walk.target(), walkMode, runId, next, owner, config.poller().leaseTtl()))
                .chain(held -> held ? Uni.createFrom().item(changed.size()) : lostLease()));
        return walkFrom(walk, runId, stats, from, sink)
                .chain(last -> store.save(walk.target(), walkMode, "completed", runId, last.withToken(null), walk.parentUpdatedAt()))
                .map(ignored -> new Outcome("completed", null))
                .onFailure().recoverWithUni(failure -> {
                    String status = status(failure);
                    // The checkpoint already holds the last page Kafka acknowledged; only its status changes.
                    return store.checkpoint(walk.target())
                            .chain(saved -> saved.filter(c -> c.runId().equals(runId))
                                    .map(c -> store.save(walk.target(), c.mode(), status, runId, c.position()))
                                    .orElse(Uni.createFrom().voidItem()))
                            .onFailure().recoverWithNull()
                            .invoke(() -> LOG.warnf("sync %s run=%s %s: %s", walk.target(), runId, status, failure.getMessage()))
                            .replaceWith(Outcome.of(failure));
                });
    }

    /**
     * A reconciliation sweep: a full walk whose records go downstream as
     * authoritative reads (origin reconcile), noting every id seen. Only when
     * it read the last page does it look for what it did not see — records
     * that existed before it began and were neither written nor updated since —
     * and put a delete for each on tidemark.changes, timestamped at the sweep's
     * start, so the processor applies it as a tombstone (and falling edges fire)
     * unless a newer change got there first. A sweep that fails or is cut short
     * deletes nothing; neither does one that would delete more than
     * tidemark.poller.sweep-max-delete-share of the records. It leaves the
     * incremental checkpoint alone.
     */
    private Uni<Outcome> sweep(Walk walk, UUID runId, CallStats stats) {
        Instant read = dev.tidemark.change.Timestamps.micros(clock.instant());
        if (shifting(walk)) {
            // An offset or page walk shifts when a record before its position disappears, and would not see the
            // one that moved into the page it had read: a sweep would delete a record the provider still has.
            return Uni.createFrom().item(new Outcome("failed", "a reconciliation sweep needs a walk that cannot miss a record "
                    + "while the list changes: cursor, next-url or link-header pagination, or updated-since.after-id-param; "
                    + "nothing was deleted"));
        }
        return store.forgetEndedSweeps().chain(store::now).chain(began -> {
            LOG.infof("sync %s run=%s reconcile: a full walk from the start; deletes only if it reads every page", walk.target(), runId);
            return walkFrom(walk.forSweep(), runId, stats, Position.START, sweepSink(walk, runId, read))
                    .chain(() -> store.unseen(walk.target(), runId, began))
                    .chain(unseen -> deleteUnseen(walk.target(), runId, began, unseen))
                    .onFailure().recoverWithItem(failure -> sweepFailed(walk.target(), runId, failure))
                    .call(() -> store.forgetSweep(runId).onFailure().recoverWithNull());
        });
    }

    /** A sweep's page: its records downstream as authoritative reads, their ids noted as seen, the lease renewed. */
    private PageSink sweepSink(Walk walk, UUID runId, Instant read) {
        return (items, next) -> {
            List<ListItem> records = walk.records(items);
            return changed(walk, records, read).chain(changed -> publish(walk.target(), runId, changed, Origin.RECONCILE)
                    .chain(() -> store.seen(runId, records.stream().map(ListItem::id).toList()))
                    .chain(() -> store.renew(walk.target(), owner, runId, config.poller().leaseTtl()))
                    .chain(held -> held ? Uni.createFrom().item(changed.size()) : lostLease()));
        };
    }

    /** An offset or page walk without a compound keyset: a record can shift past it while the list changes. */
    private static boolean shifting(Walk walk) {
        return walk.pagination() instanceof IndexWalk && walk.query().afterIdParam().isEmpty();
    }

    /**
     * The end of a completed sweep: a delete on tidemark.changes for each
     * record it did not see, timestamped at its start — unless that is more
     * than sweep-max-delete-share of the resource's records.
     */
    private Uni<Outcome> deleteUnseen(SyncTarget target, UUID runId, Instant began, List<String> unseen) {
        return deleteUnseen(target, runId, began, unseen, store.live(target));
    }

    /** @param counted the live records the share is measured against */
    private Uni<Outcome> deleteUnseen(SyncTarget target, UUID runId, Instant began, List<String> unseen, Uni<Long> counted) {
        return counted.chain(live -> {
            double share = live == 0 ? 0 : (double) unseen.size() / live;
            if (unseen.size() > 1 && share > config.poller().sweepMaxDeleteShare()) {
                return Uni.createFrom().<Outcome>failure(new IllegalStateException("the sweep would delete "
                        + unseen.size() + " of " + live + " records, more than tidemark.poller.sweep-max-delete-share ("
                        + config.poller().sweepMaxDeleteShare() + "); nothing was deleted"));
            }
            Instant at = dev.tidemark.change.Timestamps.micros(began);
            Instant now = clock.instant();
            List<ChangeEnvelope> deletes = unseen.stream().map(id -> new ChangeEnvelope(target.source(),
                    target.resource(), id, Op.DELETE, at, null, Origin.RECONCILE, "reconcile:" + runId, now)).toList();
            LOG.infof("sync %s run=%s reconcile: %d of %d records are gone at the provider", target, runId, deletes.size(), live);
            metrics.counter("tidemark.poller.sweep.deletes", "source", target.source(), "resource", target.resource())
                    .increment(deletes.size());
            return (deletes.isEmpty() ? Uni.createFrom().voidItem() : changes.publish(deletes))
                    .replaceWith(new Outcome("completed", null));
        });
    }

    private Outcome sweepFailed(SyncTarget target, UUID runId, Throwable failure) {
        LOG.warnf("sync %s run=%s reconcile %s, nothing deleted: %s", target, runId, status(failure), failure.getMessage());
        return Outcome.of(failure);
    }

    // --- nested resources ------------------------------------------------------------------

    /** What a parent's visit decided: null to go on to the next parent, or how the whole run ends now. */
    @FunctionalInterface
    private interface ParentVisit {
        Uni<Outcome> visit(PollerStore.ParentRecord parent, Walk walk);
    }

    /** How a nested run went over its parents. */
    private static final class ParentTally {
        int walked;
        int unchanged;
        int filtered;
        int gone;
        int failed;
        int failedInARow;
        String firstFailure;
        /** The parent a run stopped at (a quota, too many failures in a row): where the next one starts. */
        String stoppedAt;

        String summary() {
            return walked + " parents walked, " + unchanged + " skipped as unchanged, " + filtered
                    + " left out by parent.when, " + gone + " gone at the provider, " + failed + " failed";
        }
    }

    /** The run lost its lease: another replica runs the resource now, and this run must not write a checkpoint. */
    static final class LostLeaseException extends IllegalStateException {
        LostLeaseException() {
            super("lost the lease (it expired and another replica took it)");
        }
    }

    /**
     * An incremental or full poll of a nested resource: for each live parent
     * in the local copy that parent.when selects, the walk of its children
     * from that parent's own checkpoint — skipped, with skip-unchanged, when
     * the parent's updated_at is still the one its children's last completed
     * walk began with. A parent the provider answers 404 or 410 for is gone
     * (its deletion reaches the parent resource by its own poll or sweep); a
     * 4xx on one parent is that parent's and the run goes on; a quota, a lost
     * lease or three parents in a row with the provider failing (5xx,
     * timeouts, no answer) stop the run, and the next one starts at the parent
     * it stopped at and comes round to the others after, so a stop that recurs
     * cannot keep the same parents waiting for ever.
     */
    private Uni<Outcome> pollNested(SyncTarget target, Nest nest, String mode, UUID runId, CallStats stats) {
        ParentTally tally = new ParentTally();
        ParentVisit visit = (parent, walk) -> store.checkpoint(walk.target()).chain(checkpoint -> {
            boolean unchanged = nest.skipUnchanged() && !FULL.equals(mode) && checkpoint.isPresent() && checkpoint.get().finished()
                    && parent.updatedAt().equals(checkpoint.get().parentUpdatedAt());
            if (unchanged) {
                tally.unchanged++;
                countParent(target, "unchanged");
                return Uni.createFrom().nullItem();
            }
            return poll(walk, mode, runId, stats, checkpoint).map(outcome -> afterParent(target, parent, outcome, tally));
        });
        return store.checkpoint(target).chain(mark -> {
            String resumeAt = mark.filter(c -> !c.finished()).map(c -> c.position().id()).orElse(null);
            LOG.infof("sync %s run=%s %s: walks the children of each %s record%s", target, runId, mode, nest.parentResource(),
                    resumeAt == null ? "" : ", from " + resumeAt + " where the last run stopped, then round to the others");
            return eachParent(target, nest, resumeAt, tally, visit);
        }).chain(stopped -> {
            Outcome ended;
            if (stopped != null) {
                ended = stopped;
            } else if (tally.walked == 0 && tally.gone > 0) {
                ended = new Outcome("failed", "every parent's list answered 404 or 410: is list.path right? (" + tally.summary() + ")");
            } else if (tally.failed > 0) {
                ended = new Outcome("failed", tally.failed + " parent(s) failed; first " + tally.firstFailure + " (" + tally.summary() + ")");
            } else {
                ended = new Outcome("completed", null);
            }
            LOG.infof("sync %s run=%s: %s", target, runId, tally.summary());
            if (ended.failure() instanceof LostLeaseException) {
                return Uni.createFrom().item(ended);
            }
            // The resource's own row (parent '') remembers where a run that stopped early stopped.
            Position at = stopped == null ? Position.START : new Position(null, null, tally.stoppedAt, 0, null);
            return store.save(target, mode, ended.status(), runId, at).replaceWith(ended);
        });
    }

    /** What one parent's walk means for the run: null to go on, or the outcome that stops it. */
    private Outcome afterParent(SyncTarget target, PollerStore.ParentRecord parent, Outcome outcome, ParentTally tally) {
        Throwable failure = outcome.failure();
        if (failure == null) {
            tally.walked++;
            tally.failedInARow = 0;
            countParent(target, "walked");
            return null;
        }
        if (gone(failure)) {
            tally.gone++;
            countParent(target, "gone");
            return null;
        }
        if ("partial".equals(outcome.status()) || failure instanceof LostLeaseException) {
            tally.stoppedAt = parent.id();
            return new Outcome(outcome.status(), "parent " + parent.id() + ": " + outcome.error() + " (" + tally.summary() + ")", failure);
        }
        tally.failed++;
        countParent(target, "failed");
        if (tally.firstFailure == null) {
            tally.firstFailure = "parent " + parent.id() + ": " + outcome.error();
        }
        // A client error is this parent's own (its id, its permissions); the provider failing is everyone's.
        boolean clientError = failure instanceof ProviderCallException call && call.status() >= 400 && call.status() < 500;
        tally.failedInARow = clientError ? 0 : tally.failedInARow + 1;
        if (tally.failedInARow < MAX_FAILED_PARENTS_IN_A_ROW) {
            return null;
        }
        tally.stoppedAt = parent.id();
        return new Outcome("failed", MAX_FAILED_PARENTS_IN_A_ROW + " parents in a row failed, the run stopped; first "
                + tally.firstFailure + " (" + tally.summary() + ")", failure);
    }

    /**
     * A sweep of a nested resource: every selected parent's children walked in
     * full (none skipped as unchanged). Only if every walk read its last page
     * does it delete: children it did not see of the parents it walked, and
     * children of parents deleted locally — measured for the delete-share
     * guard against the live children of those parents. A parent that is
     * gone at the provider is left out: its children go when its deletion
     * arrives. Then the checkpoints of parents it did not walk are forgotten.
     */
    private Uni<Outcome> sweepNested(SyncTarget target, Walk template, Nest nest, UUID runId, CallStats stats) {
        if (shifting(template)) {
            return sweep(template, runId, stats);   // refuses, with the reason
        }
        ParentTally tally = new ParentTally();
        List<String> walked = new java.util.ArrayList<>();
        Instant read = dev.tidemark.change.Timestamps.micros(clock.instant());
        return store.forgetEndedSweeps().chain(store::now).chain(began -> {
            LOG.infof("sync %s run=%s reconcile: the children of each %s record, each from the start; deletes only if it "
                    + "reads every page", target, runId, nest.parentResource());
            ParentVisit visit = (parent, walk) -> walkFrom(walk.forSweep(), runId, stats, Position.START, sweepSink(walk, runId, read))
                    .map(last -> {
                        tally.walked++;
                        walked.add(walk.parentKey());
                        return (Outcome) null;
                    })
                    .onFailure(ResourceSync::gone).recoverWithItem(failure -> {
                        tally.gone++;
                        return null;
                    });
            return eachParent(target, nest, null, tally, visit)
                    .invoke(() -> LOG.infof("sync %s run=%s reconcile: %s", target, runId, tally.summary()))
                    .chain(() -> tally.walked == 0 && tally.gone > 0
                            ? Uni.createFrom().failure(new IllegalStateException("every parent's list answered 404 or 410: "
                                    + "is list.path right? nothing was deleted"))
                            : store.unseenNested(target, runId, began, walked, nest.parentResource(), nest.topLevelParent()))
                    .chain(unseen -> deleteUnseen(target, runId, began, unseen,
                            store.liveNested(target, walked, nest.parentResource(), nest.topLevelParent())))
                    .call(ended -> store.forgetParentCheckpoints(target, walked))
                    .onFailure().recoverWithItem(failure -> sweepFailed(target, runId, failure))
                    .call(() -> store.forgetSweep(runId).onFailure().recoverWithNull());
        });
    }

    /**
     * Visits the parent resource's live local records by id, those
     * parent.when selects, one at a time, reading a page of them at a time:
     * from {@code resumeAt} (inclusive) to the last and then from the first up
     * to it, or all of them when it is null. Yields null once all are
     * visited, or the outcome a visit stopped the run with.
     */
    private Uni<Outcome> eachParent(SyncTarget target, Nest nest, String resumeAt, ParentTally tally, ParentVisit visit) {
        if (resumeAt == null) {
            return Uni.createFrom().emitter(done -> new ParentLoop(target, nest, tally, visit, "", false, null, done).next());
        }
        return Uni.createFrom().<Outcome>emitter(done -> new ParentLoop(target, nest, tally, visit, resumeAt, true, null, done).next())
                .chain(stopped -> stopped != null ? Uni.createFrom().item(stopped)
                        : Uni.createFrom().<Outcome>emitter(done -> new ParentLoop(target, nest, tally, visit, "", false, resumeAt, done).next()));
    }

    /**
     * One pass over a range of parents as a loop rather than a chain of Unis,
     * so neither the stack nor the memory grows with the number of parents:
     * it holds one page of them.
     */
    private final class ParentLoop {
        private final SyncTarget target;
        private final Nest nest;
        private final ParentTally tally;
        private final ParentVisit visit;
        private final String before;
        private final io.smallrye.mutiny.subscription.UniEmitter<? super Outcome> done;
        private final java.util.ArrayDeque<PollerStore.ParentRecord> page = new java.util.ArrayDeque<>();
        private String after;
        private boolean inclusive;
        private boolean exhausted;

        ParentLoop(SyncTarget target, Nest nest, ParentTally tally, ParentVisit visit, String after, boolean inclusive, String before,
                io.smallrye.mutiny.subscription.UniEmitter<? super Outcome> done) {
            this.target = target;
            this.nest = nest;
            this.tally = tally;
            this.visit = visit;
            this.after = after;
            this.inclusive = inclusive;
            this.before = before;
            this.done = done;
        }

        void next() {
            while (true) {
                PollerStore.ParentRecord parent = page.poll();
                if (parent == null) {
                    if (exhausted) {
                        done.complete(null);
                        return;
                    }
                    store.parents(target.source(), nest.parentResource(), after, inclusive, before, PARENT_PAGE).subscribe().with(read -> {
                        exhausted = read.size() < PARENT_PAGE;
                        inclusive = false;
                        if (!read.isEmpty()) {
                            after = read.get(read.size() - 1).id();
                        }
                        page.addAll(read);
                        next();
                    }, done::fail);
                    return;
                }
                if (!selected(target, nest, parent)) {
                    tally.filtered++;
                    continue;
                }
                Walk walk;
                try {
                    walk = walk(target, nest, parent);
                } catch (IllegalArgumentException e) {
                    done.fail(new IllegalStateException("parent " + parent.id() + ": " + e.getMessage()));
                    return;
                }
                visit.visit(parent, walk).subscribe().with(stopped -> {
                    if (stopped != null) {
                        done.complete(stopped);
                    } else {
                        next();
                    }
                }, done::fail);
                return;
            }
        }
    }

    /** Whether parent.when holds for the parent's local copy; an evaluation error counts as false and is counted. */
    private boolean selected(SyncTarget target, Nest nest, PollerStore.ParentRecord parent) {
        if (nest.when().isEmpty()) {
            return true;
        }
        dev.tidemark.rules.RulePredicate.Outcome outcome;
        try {
            outcome = nest.when().get().test(json.readTree(parent.data()));
        } catch (JsonProcessingException e) {
            outcome = dev.tidemark.rules.RulePredicate.Outcome.ERROR;
        }
        if (outcome == dev.tidemark.rules.RulePredicate.Outcome.ERROR) {
            countParent(target, "when-error");
        } else if (!outcome.holds()) {
            countParent(target, "filtered");
        }
        return outcome.holds();
    }

    private void countParent(SyncTarget target, String outcome) {
        metrics.counter("tidemark.poller.parents", "source", target.source(), "resource", target.resource(), "outcome", outcome)
                .increment();
    }

    /** The provider answering a parent's child list with 404 or 410: the parent is gone. */
    private static boolean gone(Throwable failure) {
        return failure instanceof ProviderCallException call && (call.status() == 404 || call.status() == 410);
    }

    private Optional<Nest> nest(SyncTarget target) {
        TidemarkConfig.Source source = config.sources().get(target.source());
        return source.resources().get(target.resource()).parent().map(parent -> new Nest(parent.resource(),
                NestedIds.ancestors(source, target.resource()),
                parent.when().filter(when -> !when.isBlank()).map(dev.tidemark.rules.RulePredicate::compile),
                parent.skipUnchanged()));
    }

    private static Uni<Integer> lostLease() {
        return Uni.createFrom().failure(new LostLeaseException());
    }

    /**
     * The page's records that go downstream: all of them for a resource with
     * updated_at; for one changed-detected by hash, those whose content
     * differs from the local copy (or that have none), stamped with the time
     * this walk read them.
     */
    private Uni<List<ListItem>> changed(Walk walk, List<ListItem> items, Instant read) {
        if (!walk.byHash() || items.isEmpty()) {
            return Uni.createFrom().item(items);
        }
        return store.hashes(walk.target(), items.stream().map(ListItem::id).toList()).map(local -> items.stream()
                .filter(item -> !java.util.Arrays.equals(local.get(item.id()),
                        dev.tidemark.change.ContentHash.of(item.data()).bytes()))
                .map(item -> new ListItem(item.id(), read, item.data()))
                .toList());
    }

    private static String status(Throwable failure) {
        return failure instanceof ProviderCallException call && call.quota() ? "partial" : "failed";
    }

    /** What a walk does with each page's records once they are read: put them downstream and note where it stands. */
    @FunctionalInterface
    private interface PageSink {
        /** Returns how many records went downstream. */
        Uni<Integer> accept(List<ListItem> items, Position next);
    }


    /** The walk from {@code position} to its last page; what it yields is the position after that page. */
    private Uni<Position> walkFrom(Walk walk, UUID runId, CallStats stats, Position position, PageSink sink) {
        return Uni.createFrom().emitter(done -> new Walker(walk, runId, stats, position, sink, done).pump());
    }

    /**
     * One walk as two loops that meet in a short queue: the fetch loop calls
     * the provider page after page (each request follows from the page
     * before) while at most {@code tidemark.poller.prefetch-pages} pages are
     * read and not yet checkpointed besides the one going downstream; the sink loop
     * takes them in order and puts each downstream (records on Kafka, then
     * the checkpoint). Nothing holds on to a page once it is downstream. A
     * failure on either side stops both; the walk fails once the page going
     * downstream, if any, is done; pages fetched before a failed call still go
     * downstream first, so the checkpoint keeps everything that was read.
     */
    private final class Walker {
        private final Walk walk;
        private final UUID runId;
        private final CallStats stats;
        private final PageSink sink;
        private final io.smallrye.mutiny.subscription.UniEmitter<? super Position> done;
        private final java.util.ArrayDeque<Ready> ready = new java.util.ArrayDeque<>();
        private Position fetchFrom;
        /** The next-page tokens (cursors, next URLs) this walk has asked for: one handed out again is a loop. */
        private final RunBounds.Tokens tokens = new RunBounds.Tokens();
        private Position sunk;
        /** Pages in a row that took the walk no further than it had been (rewinds, repeats). */
        private int stalls;
        private Position furthest;
        private boolean fetching;
        private boolean sinking;
        private boolean fetchedLast;
        private Throwable failure;
        private Throwable fetchFailure;
        private boolean finished;

        private record Ready(PageResult result, long millis) {
        }

        Walker(Walk walk, UUID runId, CallStats stats, Position from, PageSink sink,
                io.smallrye.mutiny.subscription.UniEmitter<? super Position> done) {
            this.walk = walk;
            this.runId = runId;
            this.stats = stats;
            this.sink = sink;
            this.done = done;
            this.fetchFrom = from;
            this.sunk = from;
            this.furthest = from;
        }

        void pump() {
            Position fetchNow = null;
            Ready sinkNow = null;
            boolean finishNow = false;
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (failure != null) {
                    if (sinking) {
                        return;   // the page going downstream finishes first, so its checkpoint is not left half-told
                    }
                    finished = true;
                    finishNow = true;
                } else {
                    // Pages read and not yet checkpointed: those a crash would fetch again. One at a time when
                    // prefetch-pages is 0; with n, the call for the next page overlaps the one going downstream.
                    int unsaved = ready.size() + (sinking ? 1 : 0);
                    if (!fetching && !fetchedLast && fetchFailure == null && unsaved <= config.poller().prefetchPages()) {
                        // The run's own bounds, checked before each call: pages already read still go downstream.
                        Optional<String> bound = walk.bounds().exceeded(stats, unsaved);
                        if (bound.isPresent()) {
                            fetchFailure = new ProviderCallException(bound.get(), true, -1);
                        } else if (fetchFrom.token() != null && !tokens.first(fetchFrom.token())) {
                            fetchFailure = new IllegalStateException("the provider handed out a next-page token it had "
                                    + "already given in this walk (after " + (stats.pages() + unsaved) + " pages): it would loop "
                                    + "for ever; the run stops, and the next one starts from the last checkpoint");
                        } else {
                            fetching = true;
                            fetchNow = fetchFrom;
                        }
                    }
                    if (!sinking && !ready.isEmpty()) {
                        sinking = true;
                        sinkNow = ready.poll();
                    }
                    boolean fetchOver = fetchedLast || fetchFailure != null;
                    if (fetchNow == null && sinkNow == null && !fetching && !sinking && fetchOver && ready.isEmpty()) {
                        failure = fetchFailure;
                        finished = true;
                        finishNow = true;
                    }
                }
            }
            if (finishNow) {
                if (failure != null) {
                    done.fail(failure);
                } else {
                    done.complete(sunk);
                }
                return;
            }
            if (fetchNow != null) {
                fetch(fetchNow);
            }
            if (sinkNow != null) {
                sink(sinkNow);
            }
        }

        private void fetch(Position position) {
            URI uri;
            try {
                uri = walk.pagination().request(position).resolve(walk.baseUrl());
            } catch (RuntimeException e) {
                // A next URL the provider handed out that is not a URI: the walk cannot go on. Not its text: it may be signed.
                synchronized (this) {
                    fetching = false;
                    fetchFailure = new IllegalStateException("the provider's next page is not a valid URL (" + e.getClass().getSimpleName() + ")");
                }
                pump();
                return;
            }
            ResourceSync.this.fetch(walk, uri, stats, 1).subscribe().with(fetched -> {
                PageResult result = walk.pagination().read(position, fetched.page());
                synchronized (this) {
                    fetching = false;
                    if (!result.last() && !beyond(result.next(), furthest)) {
                        // A rewind, or a page that brought nothing new: the list is not where the walk left it.
                        // Once in a while that is data changing; always, it is a list that ignores the filter,
                        // the sort or the page token, and the walk would go round for ever.
                        stalls++;
                        if (stalls > MAX_REWINDS) {
                            fetchFailure = new IllegalStateException("the walk made no progress " + MAX_REWINDS
                                    + " pages in a row at " + describe(position)
                                    + ": is the list sorted by updated_at ascending, and does it honour the updated-since filter "
                                    + "and the page token?");
                        } else if (result.rewound()) {
                            LOG.infof("sync %s run=%s: the list changed under the walk at %s; going back to the first item at that time",
                                    walk.target(), runId, describe(position));
                        }
                    } else {
                        stalls = 0;
                    }
                    if (beyond(result.next(), furthest)) {
                        furthest = result.next();
                    }
                    ready.add(new Ready(result, fetched.millis()));
                    fetchFrom = result.next();
                    fetchedLast = result.last();
                }
                pump();
            }, failed -> {
                synchronized (this) {
                    fetching = false;
                    fetchFailure = failed;
                }
                pump();
            });
        }

        private void sink(Ready page) {
            PageResult result = page.result();
            Uni.createFrom().deferred(() -> sink.accept(result.take(), result.next())).chain(downstream -> {
                stats.pages.incrementAndGet();
                stats.records.addAndGet(downstream);
                metrics.counter("tidemark.poller.records", "source", walk.target().source(), "resource", walk.target().resource())
                        .increment(downstream);
                return stats.progressDue() ? store.progress(runId, stats) : Uni.createFrom().voidItem();
            }).subscribe().with(ok -> {
                LOG.infof("sync %s run=%s page=%d records=%d api=%d ms retries=%d checkpoint=%s", walk.target(), runId,
                        stats.pages(), result.take().size(), page.millis(), stats.retries(), describe(result.next()));
                synchronized (this) {
                    sinking = false;
                    sunk = result.next();
                }
                pump();
            }, failed -> {
                synchronized (this) {
                    sinking = false;
                    failure = failure == null ? failed : failure;
                }
                pump();
            });
        }
    }

    /** True if {@code next} is further along than {@code mark}: a later updated_at, more taken at the same one, or a new token. */
    static boolean beyond(Position next, Position mark) {
        if (next.token() != null && !next.token().equals(mark.token())) {
            return true;
        }
        if (next.updatedAt() != null && (mark.updatedAt() == null || next.updatedAt().isAfter(mark.updatedAt()))) {
            return true;
        }
        if (next.updatedAt() != null && next.updatedAt().equals(mark.updatedAt()) && next.seen() > mark.seen()) {
            return true;
        }
        return false;
    }

    /** A page as read, and how long the provider took to answer it (retries and waits included). */
    private record Fetched(ListPage page, long millis) {
    }

    /** The page at {@code uri}, parsed; a body that is not the configured shape is fetched again, like a 5xx. */
    private Uni<Fetched> fetch(Walk walk, URI uri, CallStats stats, int attempt) {
        long started = System.nanoTime();
        return client.get(walk.target().source(), walk.target().resource(), uri, stats).chain(response -> {
            try {
                JsonNode body = json.readTree(response.body());
                if (body == null) {
                    throw new MalformedPageException("the body is empty");
                }
                return Uni.createFrom().item(new Fetched(new ListPage(walk.reader().read(body), body, response.headers()),
                        (System.nanoTime() - started) / 1_000_000));
            } catch (JsonProcessingException | MalformedPageException e) {
                String reason = e instanceof MalformedPageException ? e.getMessage() : "the body is not JSON";
                if (attempt >= Backoff.of(config.poller()).attempts()) {
                    return Uni.createFrom().failure(new MalformedPageException("GET " + uri.getRawPath() + ": " + reason
                            + " (" + attempt + " attempts)"));
                }
                stats.retries.incrementAndGet();
                Duration wait = Backoff.of(config.poller()).delay(attempt, ThreadLocalRandom.current()::nextDouble);
                LOG.infof("sync %s: GET %s gave a malformed page (%s): retry %d in %d ms", walk.target(), uri.getRawPath(),
                        reason, attempt, wait.toMillis());
                // Full jitter can draw no wait at all, which Mutiny's delay refuses.
                Uni<Void> pause = wait.toMillis() > 0 ? Uni.createFrom().voidItem().onItem().delayIt().by(wait) : Uni.createFrom().voidItem();
                return pause.chain(() -> fetch(walk, uri, stats, attempt + 1));
            }
        });
    }

    private Uni<Void> publish(SyncTarget target, UUID runId, List<ListItem> items, Origin origin) {
        if (items.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Instant now = clock.instant();
        List<ChangeEnvelope> envelopes = items.stream().map(item -> new ChangeEnvelope(target.source(), target.resource(),
                item.id(), Op.UPSERT, item.updatedAt(), item.data(), origin, origin.wireName() + ":" + runId, now)).toList();
        return changes.publish(envelopes);
    }

    /** The walk a run continues: an unfinished one of any mode unless a full one is asked for anew. */
    static String walkMode(Optional<Checkpoint> checkpoint, String mode) {
        if (checkpoint.isEmpty()) {
            return FULL;
        }
        Checkpoint last = checkpoint.get();
        if (FULL.equals(mode)) {
            return FULL;
        }
        return last.finished() ? INCREMENTAL : last.mode();
    }

    /**
     * Where a run starts: from scratch on the first run and for a full one
     * (unless a full one was cut short: it resumes); where an unfinished run
     * stopped; after a finished one, at its last item (the lookback earlier).
     */
    static Position startPosition(Optional<Checkpoint> checkpoint, String mode, ListQuery query, Duration lookback) {
        if (checkpoint.isEmpty()) {
            return Position.START;
        }
        Checkpoint last = checkpoint.get();
        if (FULL.equals(mode)) {
            // A full walk asked for anew resumes one cut short (partial, or its replica died) but not one that
            // failed: that is how an operator gets past a checkpoint the provider no longer accepts.
            return !last.finished() && FULL.equals(last.mode()) && !"failed".equals(last.status()) ? last.position() : Position.START;
        }
        if (!last.finished()) {
            Position at = last.position();
            if ("failed".equals(last.status()) && at.token() != null && at.updatedAt() != null) {
                // The provider's token may be what failed (an expired cursor or next URL): continue from the last
                // item taken with the filter instead, which takes at most that page again.
                return new Position(at.updatedAt(), at.updatedAt(), at.id(), at.seen(), null);
            }
            return at;
        }
        Position end = last.position();
        if (!query.filtered() || end.updatedAt() == null) {
            return Position.START;
        }
        if (!lookback.isZero() && !lookback.isNegative()) {
            return Position.from(end.updatedAt().minus(lookback));
        }
        return new Position(end.updatedAt(), end.updatedAt(), end.id(), end.seen(), null);
    }

    private Position startPosition(Optional<Checkpoint> checkpoint, String mode, Walk walk) {
        return startPosition(checkpoint, mode, walk.query(), walk.lookback());
    }

    /** The walk of a top-level resource (for a nested one, the template its walks under each parent are made from). */
    private Walk walk(SyncTarget target) {
        return walk(target, null, null);
    }

    /** The walk of a nested resource's children under {@code parent}: its own checkpoint, its path filled in. */
    private Walk walk(SyncTarget target, Nest nest, PollerStore.ParentRecord parent) {
        TidemarkConfig.Source source = config.sources().get(target.source());
        TidemarkConfig.Resource resource = source.resources().get(target.resource());
        TidemarkConfig.ListEndpoint list = resource.list().orElseThrow();
        ListQuery query = ListQuery.of(list);
        String parentKey = "";
        if (parent != null) {
            parentKey = NestedIds.key(parent.id(), nest.topLevelParent());
            query = query.withPath(NestedIds.fill(list.path(), nest.ancestors(), parentKey, false));
        }
        boolean byHash = "hash".equals(resource.changeDetection());
        return new Walk(new SyncTarget(target.source(), target.resource(), parentKey), URI.create(source.api().orElseThrow().baseUrl()),
                query, Pagination.of(query, list.pagination()),
                new ItemReader(list.items(), resource.id(), byHash ? Optional.empty() : Optional.of(resource.updatedAt())),
                resource.lookback(), byHash, parentKey, parent == null ? null : parent.updatedAt(),
                RunBounds.of(target.resource(), resource, config.poller()));
    }

    static String describe(Position position) {
        if (position.updatedAt() == null && position.token() == null) {
            return "the start";
        }
        StringBuilder text = new StringBuilder();
        if (position.updatedAt() != null) {
            text.append("(").append(position.updatedAt()).append(", ").append(position.id()).append(", ")
                    .append(position.seen()).append(" at that time)");
        }
        if (position.token() != null) {
            // A next URL can carry a signature or an API key in its query: log only that there is one.
            text.append(text.isEmpty() ? "" : " ").append("with a next-page token");
        }
        return text.toString();
    }

    private static String replicaName() {
        String host = System.getenv("HOSTNAME");
        return host == null || host.isBlank() ? "tidemark" : host;
    }
}
