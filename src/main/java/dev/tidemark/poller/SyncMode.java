package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;

/** What a run does: the names the API, the run rows and the checkpoints use. */
public enum SyncMode implements ConfigKind {
    /** From the last checkpoint, what changed since (the lookback earlier). */
    INCREMENTAL,
    /** Every record from the first page (resuming one cut short). */
    FULL,
    /** A reconciliation sweep: a full walk that deletes what it did not see. */
    RECONCILE;

    @Override
    public String toString() {
        return configName();
    }
}
