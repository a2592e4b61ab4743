package dev.tidemark.poller;

import java.util.Map;

/**
 * {@code page=…&per_page=…}. A window is a whole page: the one holding the
 * first item not yet taken. The anchor (the last item taken) is checked when
 * it is on that page; when it ended the previous page no call can check it
 * without fetching that page again, so a change landing exactly between two
 * pages can hide one item until the next reconciliation sweep.
 */
final class PageNumberPagination extends IndexWalk {

    private final String param;
    private final int first;

    PageNumberPagination(ListQuery query, String param, int first) {
        super(query);
        this.param = param;
        this.first = first;
    }

    @Override
    protected long windowStart(long seen) {
        return seen / query.pageSize() * query.pageSize();
    }

    @Override
    protected int windowCount(long seen) {
        return query.pageSize();
    }

    @Override
    protected void window(Map<String, String> parameters, long start, int count) {
        parameters.put(param, Long.toString(first + start / query.pageSize()));
    }
}
