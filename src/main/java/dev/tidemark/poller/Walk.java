package dev.tidemark.poller;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a walk needs to know, resolved from configuration: for a nested
 * resource, one walk per parent, its target keyed by the parent
 * ({@code parentKey}, what its children's ids start with) and its path
 * filled in with the ancestors' ids. {@code mayShift}: the walk can miss a
 * record while the list changes ({@link PaginationKind#mayShift}), so no
 * sweep may delete by it.
 */
record Walk(SyncTarget target, Account account, ListQuery query, Pagination pagination, ItemReader reader,
        Duration lookback, boolean byHash, boolean mayShift, String parentKey, Instant parentUpdatedAt, RunBounds bounds) {

    /**
     * The same walk for a reconciliation sweep: bounded by max-sweep-duration instead of max-run-duration.
     * A sweep cannot resume (it starts from the first page every time), so a poll's bound would stop every
     * sweep of a large resource short and nothing would ever be deleted; but it holds the resource, and must end.
     */
    Walk forSweep() {
        return new Walk(target, account, query, pagination, reader, lookback, byHash, mayShift, parentKey, parentUpdatedAt,
                bounds.forSweep());
    }

    /** Where the walk's paths resolve: the source's base URL, filled with the connection's variables. */
    URI baseUrl() {
        return account.baseUrl();
    }

    /** The page's items with the ids their records are stored under: the parent's context first, for a nested resource. */
    List<ListItem> records(List<ListItem> items) {
        if (parentKey.isEmpty()) {
            return items;
        }
        return items.stream().map(item -> new ListItem(NestedIds.compose(parentKey, item.id()), item.updatedAt(), item.data())).toList();
    }
}
