package dev.tidemark.poller;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.JsonPointers;
import java.util.Optional;
import com.fasterxml.jackson.core.JsonPointer;

/**
 * The next page's whole URL in the body ({@code next}), called as it is; with an end pointer, a page that says it is
 * the last (Zendesk's {@code end_of_stream}, whose {@code after_url} is always there, for coming back later) ends the
 * walk, or the walk would follow the newest changes for as long as they come.
 */
final class NextUrlPagination extends TokenWalk {

    private final JsonPointer urlAt;
    private final Optional<JsonPointer> endAt;

    NextUrlPagination(ListQuery query, String urlPath, Optional<String> endPath) {
        super(query);
        this.urlAt = JsonPointers.compile(urlPath);
        this.endAt = endPath.map(JsonPointers::compile);
    }

    @Override
    protected PageRequest next(String token, Position position) {
        return PageRequest.url(token);
    }

    @Override
    protected Optional<String> nextToken(ListPage page) {
        if (endAt.isPresent()) {
            JsonNode end = page.body() == null ? null : page.body().at(endAt.get());
            if (end == null || !end.isBoolean()) {
                throw new MalformedPageException("no true or false at " + endAt.get() + " (end-path)");
            }
            if (end.booleanValue()) {
                return Optional.empty();
            }
        }
        JsonNode url = page.body() == null ? null : page.body().at(urlAt);
        return url == null || url.isMissingNode() || url.isNull() ? Optional.empty() : Optional.of(url.asText());
    }
}
