package dev.tidemark.poller;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.JsonPointers;
import java.util.Map;
import java.util.Optional;
import com.fasterxml.jackson.core.JsonPointer;

/** A token in the body ({@code next_cursor}), sent back as a query parameter with the first page's parameters. */
final class CursorPagination extends TokenWalk {

    private final String param;
    private final JsonPointer tokenAt;

    CursorPagination(ListQuery query, String param, String tokenPath) {
        super(query);
        this.param = param;
        this.tokenAt = JsonPointers.compile(tokenPath);
    }

    @Override
    protected PageRequest next(String token, Position position) {
        Map<String, String> parameters = query.parameters(position.since(), query.pageSize());
        parameters.put(param, token);
        return PageRequest.path(query.path(), parameters);
    }

    @Override
    protected Optional<String> nextToken(ListPage page) {
        JsonNode token = page.body() == null ? null : page.body().at(tokenAt);
        if (token == null || token.isMissingNode() || token.isNull()) {
            return Optional.empty();
        }
        // An object or a list read as text is "": the walk would end as if the list did, and a sweep delete the rest.
        return Optional.of(JsonPointers.idText(token).orElseThrow(() ->
                new MalformedPageException("the next page's token at " + tokenAt + " is not a string or a number")));
    }
}
