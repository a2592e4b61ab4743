package dev.tidemark.poller;

import java.time.Instant;
import java.util.UUID;

/**
 * A walk's saved position, the mode and run that wrote it, and how that run
 * ended (running if it never did); for a walk under one parent of a nested
 * resource, the parent's updated_at when its last completed walk began.
 */
public record Checkpoint(SyncMode mode, RunStatus status, UUID runId, Position position, Instant savedAt, Instant parentUpdatedAt) {

    public Checkpoint(SyncMode mode, RunStatus status, UUID runId, Position position, Instant savedAt) {
        this(mode, status, runId, position, savedAt, null);
    }

    public boolean finished() {
        return status == RunStatus.COMPLETED;
    }
}
