package dev.tidemark.poller;

/**
 * How a walk moves through a list endpoint: which request fetches the page
 * after a position, and what a fetched page yields. One class per kind of
 * pagination, made by its {@link PaginationKind}; a new kind is a new class
 * and a constant there, never an {@code if} elsewhere.
 * Pure: no I/O, no clock.
 */
public interface Pagination {

    PageRequest request(Position position);

    PageResult read(Position position, ListPage page);
}
