package dev.tidemark.poller;

import java.util.Optional;
import java.util.Map;

/**
 * A walk the provider steers with its own next-page token (a cursor, a next
 * URL): the first page filters from the walk's {@code since}, every later page
 * is the token, which the provider keeps stable while the data changes. The
 * token is the checkpoint, so a walk killed mid-way resumes at the page after
 * the last one on Kafka. A new walk from a finished one's last item takes the
 * items at that updated_at again (the filter is inclusive) unless the API has
 * a compound keyset (after-id-param) to start after that item.
 */
abstract class TokenWalk implements Pagination {

    protected final ListQuery query;

    TokenWalk(ListQuery query) {
        this.query = query;
    }

    @Override
    public final PageRequest request(Position position) {
        if (position.token() != null) {
            return next(position.token(), position);
        }
        Map<String, String> parameters = query.parameters(position.since(), query.pageSize());
        // Where the API has a compound keyset, a walk that starts at a finished one's last item skips what
        // that walk took at the same updated_at; without one, the inclusive filter takes those items again.
        if (query.afterIdParam().isPresent() && position.id() != null && position.since() != null
                && position.since().equals(position.updatedAt())) {
            parameters.put(query.afterIdParam().get(), position.id());
        }
        return PageRequest.path(query.path(), parameters);
    }

    @Override
    public final PageResult read(Position position, ListPage page) {
        Optional<String> token = nextToken(page).filter(t -> !t.isBlank());
        PageResult taken = PageResult.taken(page.items(), position, token.isEmpty() || (page.items().isEmpty() && endsOnEmptyPage()));
        return new PageResult(taken.take(), taken.next().withToken(token.orElse(null)), taken.last(), false);
    }

    /**
     * Whether an empty page ends the walk though it hands out a next token: so for APIs that say nothing else about
     * the end; not for one that marks its last page (a walk of pages without progress still ends, failing, after a few).
     */
    protected boolean endsOnEmptyPage() {
        return true;
    }

    /** The request for the page a token names. */
    protected abstract PageRequest next(String token, Position position);

    /** The next page's token in this page, if there is a next page. */
    protected abstract Optional<String> nextToken(ListPage page);
}
