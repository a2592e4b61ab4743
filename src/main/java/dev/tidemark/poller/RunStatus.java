package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;

/** How a run (and the checkpoint it left) stands: the names the run rows and the checkpoints use. */
public enum RunStatus implements ConfigKind {
    RUNNING,
    COMPLETED,
    /** Cut short by the provider's quota or the run's own bounds: the next run goes on from its checkpoint. */
    PARTIAL,
    FAILED;

    @Override
    public String toString() {
        return configName();
    }
}
