package dev.tidemark.poller;

import java.time.Instant;
import java.util.UUID;

/** A walk's saved position, the mode and run that wrote it, and how that run ended (running if it never did). */
public record Checkpoint(String mode, String status, UUID runId, Position position, Instant savedAt) {

    public boolean finished() {
        return "completed".equals(status);
    }
}
