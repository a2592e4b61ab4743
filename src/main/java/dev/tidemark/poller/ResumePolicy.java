package dev.tidemark.poller;

import java.time.Duration;
import java.util.Optional;

/** Where a walk starts, given its last checkpoint and the mode asked for. Pure. */
final class ResumePolicy {

    private ResumePolicy() {
    }

    /** The walk a run continues: an unfinished one of any mode unless a full one is asked for anew. */
    static SyncMode walkMode(Optional<Checkpoint> checkpoint, SyncMode mode) {
        if (checkpoint.isEmpty()) {
            return SyncMode.FULL;
        }
        Checkpoint last = checkpoint.get();
        if (mode == SyncMode.FULL) {
            return SyncMode.FULL;
        }
        return last.finished() ? SyncMode.INCREMENTAL : last.mode();
    }

    /**
     * Where a run starts: from scratch on the first run and for a full one
     * (unless a full one was cut short: it resumes); where an unfinished run
     * stopped; after a finished one, at its last item (the lookback earlier).
     */
    static Position startPosition(Optional<Checkpoint> checkpoint, SyncMode mode, ListQuery query, Duration lookback) {
        if (checkpoint.isEmpty()) {
            return Position.START;
        }
        Checkpoint last = checkpoint.get();
        if (mode == SyncMode.FULL) {
            // A full walk asked for anew resumes one cut short (partial, or its replica died) but not one that
            // failed: that is how an operator gets past a checkpoint the provider no longer accepts.
            return !last.finished() && last.mode() == SyncMode.FULL && last.status() != RunStatus.FAILED
                    ? last.position() : Position.START;
        }
        if (!last.finished()) {
            Position at = last.position();
            if (last.status() == RunStatus.FAILED && at.token() != null && at.updatedAt() != null) {
                // The provider's token may be what failed (an expired cursor or next URL): continue from the last
                // item taken with the filter instead, which takes at most that page again.
                return new Position(at.updatedAt(), at.updatedAt(), at.id(), at.seen(), null);
            }
            if (last.status() == RunStatus.FAILED && at.token() == null && at.updatedAt() == null) {
                // A token the provider refused was dropped (Poll), and there is no time to continue from (a resource
                // without updated_at, whose polls walk the whole list anyway): start over.
                return Position.START;
            }
            return at;
        }
        Position end = last.position();
        if (!query.filtered() || end.updatedAt() == null) {
            return Position.START;
        }
        if (!lookback.isZero() && !lookback.isNegative()) {
            return Position.from(end.updatedAt().minus(lookback));
        }
        return new Position(end.updatedAt(), end.updatedAt(), end.id(), end.seen(), null);
    }

    static Position startPosition(Optional<Checkpoint> checkpoint, SyncMode mode, Walk walk) {
        return startPosition(checkpoint, mode, walk.query(), walk.lookback());
    }
}
