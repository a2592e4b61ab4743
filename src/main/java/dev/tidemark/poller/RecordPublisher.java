package dev.tidemark.poller;

import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;

/**
 * The stage of a run that puts what it read on tidemark.changes, for the
 * processor to apply like any webhook: the poller never writes records
 * itself. Each change names the run that read it.
 */
@ApplicationScoped
class RecordPublisher {

    private final ChangePublisher changes;
    private final InstantSource clock = InstantSource.system();

    RecordPublisher(ChangePublisher changes) {
        this.changes = changes;
    }

    /** Upserts of the records read, as {@code origin} (a poll, or a sweep's authoritative read). */
    Uni<Void> upserts(SyncTarget target, UUID runId, List<ListItem> items, Origin origin) {
        if (items.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Instant now = clock.instant();
        List<ChangeEnvelope> envelopes = items.stream().map(item -> ChangeEnvelope.of(target.connection(), target.resource(),
                item.id(), Op.UPSERT, item.updatedAt(), item.data(), origin, origin.wireName() + ":" + runId, now)).toList();
        return changes.publish(envelopes);
    }

    /** A sweep's deletes of the records it did not see, timestamped at its start ({@code began}). */
    Uni<Void> deletes(SyncTarget target, UUID runId, Instant began, List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Instant at = Timestamps.micros(began);
        Instant now = clock.instant();
        return changes.publish(ids.stream().map(id -> ChangeEnvelope.of(target.connection(), target.resource(), id, Op.DELETE, at,
                null, Origin.RECONCILE, "reconcile:" + runId, now)).toList());
    }
}
