package dev.tidemark.processor;

import dev.tidemark.change.OrderingDecision;
import dev.tidemark.change.Transition;
import dev.tidemark.change.StoredState;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Applies one record's changes from a batch, in the record's own updated_at
 * order, each against the state the previous one left (docs/architecture.md,
 * "The ordering policy"). Every applied intermediate state is kept as a transition, because
 * rules fire on each applied step, not only on the batch's end state. Pure.
 */
public final class OrderedApply {

    public record Result(StoredState finalState, List<Transition> transitions,
            Map<OrderingDecision, Integer> decisions, List<ChangeEnvelope> conflicts, int refetches) {

        public boolean changed() {
            return !transitions.isEmpty();
        }
    }

    /** Same updated_at keeps arrival order (a stable sort), so a redelivery after its original is the duplicate. */
    private static final Comparator<ChangeEnvelope> BY_UPDATED_AT = Comparator.comparing(ChangeEnvelope::updatedAt);

    private OrderedApply() {
    }

    public static Result apply(StoredState current, List<ChangeEnvelope> changes) {
        List<ChangeEnvelope> ordered = new ArrayList<>(changes);
        ordered.sort(BY_UPDATED_AT);
        StoredState state = current;
        List<Transition> transitions = new ArrayList<>();
        Map<OrderingDecision, Integer> decisions = new EnumMap<>(OrderingDecision.class);
        List<ChangeEnvelope> conflicts = new ArrayList<>();
        int refetches = 0;
        for (ChangeEnvelope change : ordered) {
            if (change.op() == Op.REFETCH) {
                // Asks for a fresh read; it carries no state to apply.
                refetches++;
                continue;
            }
            StoredState incoming = change.op() == Op.DELETE
                    ? StoredState.tombstone(change.updatedAt())
                    : StoredState.of(change.updatedAt(), change.data());
            OrderingDecision decision = OrderingPolicy.decide(state, incoming, change.origin());
            decisions.merge(decision, 1, Integer::sum);
            if (decision == OrderingDecision.CONFLICT_REFETCH) {
                conflicts.add(change);
            }
            if (decision.applies()) {
                transitions.add(new Transition(state, incoming, change, decision));
                state = incoming;
            }
        }
        return new Result(state, transitions, decisions, conflicts, refetches);
    }
}
