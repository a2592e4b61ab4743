package dev.tidemark.poller;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A sync-run row as GET /api/runs shows it. */
public record SyncRun(UUID id, String source, String resource, String parent, String mode, String trigger, String status,
        String owner, Instant startedAt, Optional<Instant> endedAt, long calls, long pages, long records, long retries,
        long rateLimitWaits, long waitedMillis, Optional<String> error) {
}
