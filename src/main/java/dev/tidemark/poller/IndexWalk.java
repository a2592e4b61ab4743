package dev.tidemark.poller;

import java.util.List;
import java.util.Map;
import java.time.Instant;

/**
 * A walk by position in the list (an offset, a page number), which shifts
 * whenever the provider's data changes under it. With a changed-since filter
 * it is made safe by restarting the filter at the last item taken on every
 * page:
 * <ul>
 * <li>where the API offers a compound {@code (updated_at, id)} keyset
 * (after-id-param), each page asks for the items after the last one taken;</li>
 * <li>otherwise each page asks for {@code updated_at >= last}, and steps over
 * the items at that timestamp already taken ({@link Position#seen()}), one
 * run of equal timestamps longer than a page included. The last item taken is
 * fetched again as an anchor where the window allows it: if it is not where it
 * was, the list changed, and the walk goes back to the first item at that
 * timestamp (taking some again) rather than skip one.</li>
 * </ul>
 * Without a filter the walk is a plain one through the offsets, from the
 * first page to the last, the next index as its token.
 */
abstract class IndexWalk implements Pagination {

    protected final ListQuery query;

    IndexWalk(ListQuery query) {
        this.query = query;
    }

    /** Index (in the filtered list) of the window's first item, given how many items at the timestamp are taken. */
    protected abstract long windowStart(long seen);

    /** How many items the window asks for. */
    protected abstract int windowCount(long seen);

    /** The parameters that ask for the window starting at {@code start}. */
    protected abstract void window(Map<String, String> parameters, long start, int count);

    @Override
    public final PageRequest request(Position position) {
        if (!query.filtered()) {
            long start = position.token() == null ? 0 : Long.parseLong(position.token());
            return windowAt(null, start, query.pageSize());
        }
        if (query.afterIdParam().isPresent()) {
            Map<String, String> parameters = query.parameters(position.updatedAt(), query.pageSize());
            window(parameters, 0, query.pageSize());
            if (position.id() != null) {
                parameters.put(query.afterIdParam().get(), position.id());
            }
            return PageRequest.path(query.path(), parameters);
        }
        return windowAt(position.updatedAt(), windowStart(position.seen()), windowCount(position.seen()));
    }

    @Override
    public final PageResult read(Position position, ListPage page) {
        List<ListItem> items = page.items();
        if (!query.filtered()) {
            long start = position.token() == null ? 0 : Long.parseLong(position.token());
            PageResult taken = PageResult.taken(items, position, items.size() < query.pageSize());
            return new PageResult(items, taken.next().withToken(Long.toString(start + items.size())), taken.last(), false);
        }
        if (query.afterIdParam().isPresent()) {
            return PageResult.taken(items, position, items.size() < query.pageSize());
        }
        long seen = position.seen();
        int skip = (int) (seen - windowStart(seen));
        if (skip > 0 && (items.size() < skip || !position.isAt(items.get(skip - 1)))) {
            return PageResult.rewind(position);
        }
        List<ListItem> fresh = items.subList(Math.min(skip, items.size()), items.size());
        // Short of the page size is the end; a provider that clamps the anchor's extra item away is not.
        return PageResult.taken(List.copyOf(fresh), position, items.size() < Math.min(windowCount(seen), query.pageSize()));
    }

    private PageRequest windowAt(Instant since, long start, int count) {
        Map<String, String> parameters = query.parameters(since, count);
        window(parameters, start, count);
        return PageRequest.path(query.path(), parameters);
    }
}
