package dev.tidemark.poller;

import dev.tidemark.metrics.Metric;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.processor.LocalCopy;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

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
@ApplicationScoped
class Sweep {

    private static final Logger LOG = Logger.getLogger(Sweep.class);

    private final TidemarkConfig config;
    private final SweepStore sweeps;
    private final LeaseStore leases;
    private final LocalCopy local;
    private final PageWalker walker;
    private final ChangeDetector detector;
    private final RecordPublisher publisher;
    private final MeterRegistry metrics;
    private final InstantSource clock = InstantSource.system();

    Sweep(TidemarkConfig config, SweepStore sweeps, LeaseStore leases, LocalCopy local, PageWalker walker, ChangeDetector detector,
            RecordPublisher publisher, MeterRegistry metrics) {
        this.config = config;
        this.sweeps = sweeps;
        this.leases = leases;
        this.local = local;
        this.walker = walker;
        this.detector = detector;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    Uni<RunOutcome> run(Walk walk, RunContext run) {
        Instant read = Timestamps.micros(clock.instant());
        if (walk.mayShift()) {
            return Uni.createFrom().item(refused());
        }
        return sweeps.forgetEnded().chain(sweeps::now).chain(began -> {
            LOG.infof("sync %s run=%s reconcile: a full walk from the start; deletes only if it reads every page", walk.target(), run.id());
            return walker.walkFrom(walk.forSweep(), run, Position.START, sink(walk, run, read))
                    .chain(() -> local.unseen(walk.target().connection(), walk.target().resource(), run.id(), began))
                    .chain(unseen -> deleteUnseen(walk.target(), run.id(), began, unseen,
                            local.live(walk.target().connection(), walk.target().resource())))
                    .onFailure().recoverWithItem(failure -> failed(walk.target(), run.id(), failure))
                    .call(() -> sweeps.forget(run.id()).onFailure().recoverWithNull());
        });
    }

    /**
     * An offset or page walk shifts when a record before its position disappears, and would not see the one
     * that moved into the page it had read: a sweep would delete a record the provider still has.
     */
    static RunOutcome refused() {
        return new RunOutcome(RunStatus.FAILED, "a reconciliation sweep needs a walk that cannot miss a record "
                + "while the list changes: cursor, last-item, next-url or link-header pagination, or updated-since.after-id-param; "
                + "nothing was deleted");
    }

    /** A sweep's page: its records downstream as authoritative reads, their ids noted as seen, the lease renewed. */
    PageSink sink(Walk walk, RunContext run, Instant read) {
        return (items, next) -> {
            List<ListItem> records = walk.records(items);
            return detector.changed(walk, records, read).chain(changed -> publisher.upserts(walk.target(), run.id(), changed, Origin.RECONCILE)
                    .chain(() -> sweeps.seen(run.id(), records.stream().map(ListItem::id).toList()))
                    .chain(() -> leases.renew(walk.target(), run.owner(), run.id(), config.poller().leaseTtl()))
                    .chain(held -> held ? Uni.createFrom().item(changed.size()) : LostLeaseException.<Integer>fail()));
        };
    }

    /**
     * The end of a completed sweep: a delete on tidemark.changes for each
     * record it did not see, timestamped at its start — unless that is more
     * than sweep-max-delete-share of the resource's records.
     *
     * @param counted the live records the share is measured against
     */
    Uni<RunOutcome> deleteUnseen(SyncTarget target, UUID runId, Instant began, List<String> unseen, Uni<Long> counted) {
        return counted.chain(live -> {
            double share = live == 0 ? 0 : (double) unseen.size() / live;
            if (unseen.size() > 1 && share > config.poller().sweepMaxDeleteShare()) {
                return Uni.createFrom().<RunOutcome>failure(new IllegalStateException("the sweep would delete "
                        + unseen.size() + " of " + live + " records, more than tidemark.poller.sweep-max-delete-share ("
                        + config.poller().sweepMaxDeleteShare() + "); nothing was deleted"));
            }
            LOG.infof("sync %s run=%s reconcile: %d of %d records are gone at the provider", target, runId, unseen.size(), live);
            metrics.counter(Metric.POLLER_SWEEP_DELETES, "source", target.source(), "resource", target.resource())
                    .increment(unseen.size());
            return publisher.deletes(target, runId, began, unseen).replaceWith(RunOutcome.COMPLETED);
        });
    }

    RunOutcome failed(SyncTarget target, UUID runId, Throwable failure) {
        LOG.warnf("sync %s run=%s reconcile %s, nothing deleted: %s", target, runId, RunOutcome.status(failure), failure.getMessage());
        return RunOutcome.of(failure);
    }
}
