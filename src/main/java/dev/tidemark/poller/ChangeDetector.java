package dev.tidemark.poller;

import dev.tidemark.change.ContentHash;
import dev.tidemark.processor.LocalCopy;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * The stage of a run that decides which records of a page changed: all of
 * them for a resource with updated_at (the processor orders them); for one
 * whose records carry none (change-detection hash), those whose content
 * differs from the local copy, or that have none.
 */
@ApplicationScoped
class ChangeDetector {

    private final LocalCopy local;

    ChangeDetector(LocalCopy local) {
        this.local = local;
    }

    /** The page's records that go downstream; by hash, stamped with the time this walk read them ({@code read}). */
    Uni<List<ListItem>> changed(Walk walk, List<ListItem> items, Instant read) {
        if (!walk.byHash() || items.isEmpty()) {
            return Uni.createFrom().item(items);
        }
        return local.hashes(walk.target().connection(), walk.target().resource(), items.stream().map(ListItem::id).toList())
                .map(stored -> items.stream()
                        .filter(item -> !Arrays.equals(stored.get(item.id()), ContentHash.of(item.data()).bytes()))
                        .map(item -> new ListItem(item.id(), read, item.data()))
                        .toList());
    }
}
