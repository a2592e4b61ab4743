package dev.tidemark.poller;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A sync-run row as GET /api/runs shows it; {@code connection} is absent for a source's implicit connection. */
public record SyncRun(UUID id, String source,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) String connection, String resource, String parent, String mode, String trigger, String status,
        String owner, Instant startedAt, Optional<Instant> endedAt, long calls, long pages, long records, long retries,
        long rateLimitWaits, long waitedMillis, Optional<String> error) {
}
