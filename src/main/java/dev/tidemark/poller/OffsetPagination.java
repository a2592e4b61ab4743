package dev.tidemark.poller;

import java.util.Map;

/**
 * {@code offset=…&limit=…}. Past the first page the window starts one item
 * early, on the last item taken (the anchor), and asks for one more, so every
 * call still brings a full page of new items.
 */
final class OffsetPagination extends IndexWalk {

    private final String param;

    OffsetPagination(ListQuery query, String param) {
        super(query);
        this.param = param;
    }

    @Override
    protected long windowStart(long seen) {
        return seen > 0 ? seen - 1 : 0;
    }

    @Override
    protected int windowCount(long seen) {
        // Without a size parameter the provider's own page size applies, configured as page-size.
        return seen > 0 && query.pageSizeParam().isPresent() ? query.pageSize() + 1 : query.pageSize();
    }

    @Override
    protected void window(Map<String, String> parameters, long start, int count) {
        parameters.put(param, Long.toString(start));
    }
}
