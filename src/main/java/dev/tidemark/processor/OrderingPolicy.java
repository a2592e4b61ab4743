package dev.tidemark.processor;

import dev.tidemark.change.OrderingDecision;
import dev.tidemark.change.StoredState;
import dev.tidemark.change.Origin;

/**
 * The one place that decides whether a change may replace the stored state
 * (docs/architecture.md, invariants 2 and 3). Pure: no clock, no I/O.
 */
public final class OrderingPolicy {

    private OrderingPolicy() {
    }

    /**
     * @param stored   the current state, or null if the record was never seen
     * @param incoming the state the change would write (a tombstone for a delete)
     * @param origin   where the change came from
     */
    public static OrderingDecision decide(StoredState stored, StoredState incoming, Origin origin) {
        if (stored == null || stored.updatedAt() == null) {
            return OrderingDecision.APPLY_NEWER;
        }
        int byTime = incoming.updatedAt().compareTo(stored.updatedAt());
        if (byTime > 0) {
            return OrderingDecision.APPLY_NEWER;
        }
        if (byTime < 0) {
            return OrderingDecision.STALE;
        }
        if (incoming.hash().equals(stored.hash())) {
            return OrderingDecision.DUPLICATE;
        }
        return origin.isAuthoritative() ? OrderingDecision.APPLY_AUTHORITATIVE : OrderingDecision.CONFLICT_REFETCH;
    }
}
