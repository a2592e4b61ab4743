package dev.tidemark.poller;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.JsonPointers;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The next page starts after the last item of this one, named by its id (Stripe's {@code starting_after}), while
 * the body says there is more ({@code has_more}). A keyset walk: a record that disappears behind it does not shift
 * the rest. A page that says there is more but whose last item has no id, or that does not say, cannot be walked on:
 * it is malformed, fetched again and, still so, ends the run.
 */
final class LastItemPagination extends TokenWalk {

    private final String param;
    private final JsonPointer hasMoreAt;
    private final JsonPointer idAt;

    LastItemPagination(ListQuery query, String param, String hasMorePath, String lastItemPath) {
        super(query);
        this.param = param;
        this.hasMoreAt = JsonPointers.compile(hasMorePath);
        this.idAt = JsonPointers.compile(lastItemPath);
    }

    @Override
    protected PageRequest next(String token, Position position) {
        Map<String, String> parameters = query.parameters(position.since(), query.pageSize());
        parameters.put(param, token);
        return PageRequest.path(query.path(), parameters);
    }

    @Override
    protected Optional<String> nextToken(ListPage page) {
        JsonNode hasMore = page.body() == null ? null : page.body().at(hasMoreAt);
        if (hasMore == null || !hasMore.isBoolean()) {
            throw new MalformedPageException("no true or false at " + hasMoreAt + " (has-more-path)");
        }
        List<ListItem> items = page.items();
        if (!hasMore.booleanValue()) {
            return Optional.empty();
        }
        if (items.isEmpty()) {
            // Ending here would make a sweep take what it did not reach for deleted.
            throw new MalformedPageException("more pages, but no item to go on from (" + hasMoreAt + " is true on an empty page)");
        }
        JsonNode id = items.get(items.size() - 1).data().at(idAt);
        if (JsonPointers.idText(id).filter(text -> !text.isBlank()).isEmpty()) {
            throw new MalformedPageException("more pages, but the last item has no id at " + idAt + " (last-item-path)");
        }
        return Optional.of(id.asText());
    }
}
