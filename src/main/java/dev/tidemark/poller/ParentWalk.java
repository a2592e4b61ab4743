package dev.tidemark.poller;

import dev.tidemark.cel.CelPredicate;
import dev.tidemark.metrics.Metric;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.processor.LocalCopy;
import dev.tidemark.processor.LocalCopy.LiveRecord;
import dev.tidemark.rules.RulePredicate;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayDeque;

/**
 * The parents of a nested resource, as its runs visit them: the parent
 * resource's live records in the local copy, by id, a page at a time, those
 * parent.when selects, each with the walk of its children.
 */
@ApplicationScoped
class ParentWalk {

    /** Parents of a nested resource read from the local table at a time. */
    static final int PARENT_PAGE = 100;

    private final LocalCopy local;
    private final WalkPlanner planner;
    private final ObjectMapper json;
    private final MeterRegistry metrics;

    ParentWalk(LocalCopy local, WalkPlanner planner, ObjectMapper json, MeterRegistry metrics) {
        this.local = local;
        this.planner = planner;
        this.json = json;
        this.metrics = metrics;
    }

    /** What a parent's visit decided: null to go on to the next parent, or how the whole run ends now. */
    @FunctionalInterface
    interface ParentVisit {
        Uni<RunOutcome> visit(LiveRecord parent, Walk walk);
    }


    /**
     * Visits the parent resource's live local records by id, those
     * parent.when selects, one at a time, reading a page of them at a time:
     * from {@code resumeAt} (inclusive) to the last and then from the first up
     * to it, or all of them when it is null. Yields null once all are
     * visited, or the outcome a visit stopped the run with.
     */
    Uni<RunOutcome> eachParent(Account account, SyncTarget target, Nest nest, String resumeAt, ParentTally tally, ParentVisit visit) {
        if (resumeAt == null) {
            return Uni.createFrom().emitter(done -> new ParentLoop(account, target, nest, tally, visit, "", false, null, done).next());
        }
        return Uni.createFrom().<RunOutcome>emitter(done -> new ParentLoop(account, target, nest, tally, visit, resumeAt, true, null, done).next())
                .chain(stopped -> stopped != null ? Uni.createFrom().item(stopped)
                        : Uni.createFrom().<RunOutcome>emitter(done -> new ParentLoop(account, target, nest, tally, visit, "", false, resumeAt, done).next()));
    }

    /**
     * One pass over a range of parents as a loop rather than a chain of Unis,
     * so neither the stack nor the memory grows with the number of parents:
     * it holds one page of them.
     */
    private final class ParentLoop {
        private final Account account;
        private final SyncTarget target;
        private final Nest nest;
        private final ParentTally tally;
        private final ParentVisit visit;
        private final String before;
        private final UniEmitter<? super RunOutcome> done;
        private final ArrayDeque<LiveRecord> page = new ArrayDeque<>();
        private String after;
        private boolean inclusive;
        private boolean exhausted;

        ParentLoop(Account account, SyncTarget target, Nest nest, ParentTally tally, ParentVisit visit, String after, boolean inclusive,
                String before, UniEmitter<? super RunOutcome> done) {
            this.account = account;
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
                LiveRecord parent = page.poll();
                if (parent == null) {
                    if (exhausted) {
                        done.complete(null);
                        return;
                    }
                    local.page(target.connection(), nest.parentResource(), after, inclusive, before, PARENT_PAGE).subscribe().with(read -> {
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
                    walk = planner.walk(account, target, nest, parent);
                } catch (RuntimeException e) {
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
    private boolean selected(SyncTarget target, Nest nest, LiveRecord parent) {
        if (nest.when().isEmpty()) {
            return true;
        }
        CelPredicate.Outcome outcome;
        try {
            outcome = nest.when().get().test(json.readTree(parent.data()));
        } catch (JsonProcessingException e) {
            outcome = CelPredicate.Outcome.ERROR;
        }
        if (outcome == CelPredicate.Outcome.ERROR) {
            countParent(target, "when-error");
        } else if (!outcome.holds()) {
            countParent(target, "filtered");
        }
        return outcome.holds();
    }

    void countParent(SyncTarget target, String outcome) {
        metrics.counter(Metric.POLLER_PARENTS, "source", target.source(), "resource", target.resource(), "outcome", outcome)
                .increment();
    }

    /** The provider answering a parent's child list with 404 or 410: the parent is gone. */
    static boolean gone(Throwable failure) {
        return failure instanceof ProviderCallException call && (call.status() == 404 || call.status() == 410);
    }
}
