package dev.tidemark.change;

/** What the processor does with one incoming change, given the stored state (docs/architecture.md, "The ordering policy"). */
public enum OrderingDecision {
    /** Nothing stored yet, or the change is newer: it becomes the stored state. */
    APPLY_NEWER(true),
    /** Same timestamp, different content, from a poll or reconcile: a fresh authoritative read wins. */
    APPLY_AUTHORITATIVE(true),
    /** Older than what is stored: dropped. */
    STALE(false),
    /** Same timestamp, same content: a redelivery, dropped. */
    DUPLICATE(false),
    /** Same timestamp, different content, from a webhook: dropped, and the record is fetched again. */
    CONFLICT_REFETCH(false);

    private final boolean applies;

    OrderingDecision(boolean applies) {
        this.applies = applies;
    }

    public boolean applies() {
        return applies;
    }
}
