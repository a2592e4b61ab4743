package dev.tidemark.poller;

import dev.tidemark.config.TidemarkConfig;
import java.util.Set;

/**
 * How a walk moves through a list endpoint: which request fetches the page
 * after a position, and what a fetched page yields. One class per kind of
 * pagination; a new kind is a new class here, never an {@code if} elsewhere.
 * Pure: no I/O, no clock.
 */
public interface Pagination {

    Set<String> KINDS = Set.of("cursor", "next-url", "link-header", "page", "offset");

    PageRequest request(Position position);

    PageResult read(Position position, ListPage page);

    static Pagination of(ListQuery query, TidemarkConfig.Pagination pagination) {
        return switch (pagination.type()) {
            case "cursor" -> new CursorPagination(query, pagination.cursorParam(), pagination.cursorPath());
            case "next-url" -> new NextUrlPagination(query, pagination.nextUrlPath());
            case "link-header" -> new LinkHeaderPagination(query);
            case "page" -> new PageNumberPagination(query, pagination.pageParam(), pagination.firstPage());
            case "offset" -> new OffsetPagination(query, pagination.offsetParam());
            default -> throw new IllegalArgumentException("unknown pagination type '" + pagination.type() + "'");
        };
    }
}
