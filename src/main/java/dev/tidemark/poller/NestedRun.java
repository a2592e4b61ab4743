package dev.tidemark.poller;

import dev.tidemark.change.Timestamps;
import dev.tidemark.processor.LocalCopy;
import dev.tidemark.processor.LocalCopy.LiveRecord;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The runs of a nested resource: one walk per parent over the same stages as
 * a top-level resource's poll or sweep, with what the parents' walks add up
 * to deciding how the run ends.
 */
@ApplicationScoped
class NestedRun {

    private static final Logger LOG = Logger.getLogger(NestedRun.class);

    /** Parents in a row whose walk failed (not for being gone) before a nested run stops: the provider is failing, not one parent. */
    static final int MAX_FAILED_PARENTS_IN_A_ROW = 3;

    private final CheckpointStore checkpoints;
    private final SweepStore sweeps;
    private final LocalCopy local;
    private final ParentWalk parents;
    private final PageWalker walker;
    private final Poll poll;
    private final Sweep sweep;
    private final InstantSource clock = InstantSource.system();

    NestedRun(CheckpointStore checkpoints, SweepStore sweeps, LocalCopy local, ParentWalk parents, PageWalker walker, Poll poll,
            Sweep sweep) {
        this.checkpoints = checkpoints;
        this.sweeps = sweeps;
        this.local = local;
        this.parents = parents;
        this.walker = walker;
        this.poll = poll;
        this.sweep = sweep;
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
    Uni<RunOutcome> poll(SyncTarget target, Nest nest, SyncMode mode, RunContext run) {
        ParentTally tally = new ParentTally();
        ParentWalk.ParentVisit visit = (parent, walk) -> checkpoints.checkpoint(walk.target()).chain(checkpoint -> {
            boolean unchanged = nest.skipUnchanged() && mode != SyncMode.FULL && checkpoint.isPresent() && checkpoint.get().finished()
                    && parent.updatedAt().equals(checkpoint.get().parentUpdatedAt());
            if (unchanged) {
                tally.unchanged++;
                parents.countParent(target, "unchanged");
                return Uni.createFrom().nullItem();
            }
            return poll.run(walk, mode, run, checkpoint).map(outcome -> afterParent(target, parent, outcome, tally));
        });
        return checkpoints.checkpoint(target).chain(mark -> {
            String resumeAt = mark.filter(c -> !c.finished()).map(c -> c.position().id()).orElse(null);
            LOG.infof("sync %s run=%s %s: walks the children of each %s record%s", target, run.id(), mode, nest.parentResource(),
                    resumeAt == null ? "" : ", from " + resumeAt + " where the last run stopped, then round to the others");
            return parents.eachParent(run.account(), target, nest, resumeAt, tally, visit);
        }).chain(stopped -> {
            RunOutcome ended;
            if (stopped != null) {
                ended = stopped;
            } else if (tally.walked == 0 && tally.gone > 0) {
                ended = new RunOutcome(RunStatus.FAILED, "every parent's list answered 404 or 410: is list.path right? (" + tally.summary() + ")");
            } else if (tally.failed > 0) {
                ended = new RunOutcome(RunStatus.FAILED, tally.failed + " parent(s) failed; first " + tally.firstFailure + " (" + tally.summary() + ")");
            } else {
                ended = RunOutcome.COMPLETED;
            }
            LOG.infof("sync %s run=%s: %s", target, run.id(), tally.summary());
            if (ended.failure() instanceof LostLeaseException) {
                return Uni.createFrom().item(ended);
            }
            // The resource's own row (parent '') remembers where a run that stopped early stopped.
            Position at = stopped == null ? Position.START : new Position(null, null, tally.stoppedAt, 0, null);
            return checkpoints.save(target, mode, ended.status(), run.id(), at).replaceWith(ended);
        });
    }

    /** What one parent's walk means for the run: null to go on, or the outcome that stops it. */
    private RunOutcome afterParent(SyncTarget target, LiveRecord parent, RunOutcome outcome, ParentTally tally) {
        Throwable failure = outcome.failure();
        if (failure == null) {
            tally.walked++;
            tally.failedInARow = 0;
            parents.countParent(target, "walked");
            return null;
        }
        if (ParentWalk.gone(failure)) {
            tally.gone++;
            parents.countParent(target, "gone");
            return null;
        }
        if (outcome.status() == RunStatus.PARTIAL || failure instanceof LostLeaseException) {
            tally.stoppedAt = parent.id();
            return new RunOutcome(outcome.status(), "parent " + parent.id() + ": " + outcome.error() + " (" + tally.summary() + ")", failure);
        }
        tally.failed++;
        parents.countParent(target, "failed");
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
        return new RunOutcome(RunStatus.FAILED, MAX_FAILED_PARENTS_IN_A_ROW + " parents in a row failed, the run stopped; first "
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
    Uni<RunOutcome> sweep(SyncTarget target, Walk template, Nest nest, RunContext run) {
        if (template.mayShift()) {
            return Uni.createFrom().item(Sweep.refused());
        }
        ParentTally tally = new ParentTally();
        List<String> walked = new ArrayList<>();
        Instant read = Timestamps.micros(clock.instant());
        return sweeps.forgetEnded().chain(sweeps::now).chain(began -> {
            LOG.infof("sync %s run=%s reconcile: the children of each %s record, each from the start; deletes only if it "
                    + "reads every page", target, run.id(), nest.parentResource());
            ParentWalk.ParentVisit visit = (parent, walk) -> walker.walkFrom(walk.forSweep(), run, Position.START, sweep.sink(walk, run, read))
                    .map(last -> {
                        tally.walked++;
                        walked.add(walk.parentKey());
                        return (RunOutcome) null;
                    })
                    .onFailure(ParentWalk::gone).recoverWithItem(failure -> {
                        tally.gone++;
                        return null;
                    });
            return parents.eachParent(run.account(), target, nest, null, tally, visit)
                    .invoke(() -> LOG.infof("sync %s run=%s reconcile: %s", target, run.id(), tally.summary()))
                    .chain(() -> tally.walked == 0 && tally.gone > 0
                            ? Uni.createFrom().failure(new IllegalStateException("every parent's list answered 404 or 410: "
                                    + "is list.path right? nothing was deleted"))
                            : local.unseenUnder(target.connection(), target.resource(), run.id(), began, walked, nest.parentResource(),
                                    nest.topLevelParent()))
                    .chain(unseen -> sweep.deleteUnseen(target, run.id(), began, unseen,
                            local.liveUnder(target.connection(), target.resource(), walked, nest.parentResource(), nest.topLevelParent())))
                    .call(ended -> checkpoints.forgetParentCheckpoints(target, walked))
                    .onFailure().recoverWithItem(failure -> sweep.failed(target, run.id(), failure))
                    .call(() -> sweeps.forget(run.id()).onFailure().recoverWithNull());
        });
    }
}
