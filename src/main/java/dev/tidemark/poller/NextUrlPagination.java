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
        boolean more = false;
        if (endAt.isPresent()) {
            JsonNode end = page.body() == null ? null : page.body().at(endAt.get());
            if (end == null || !end.isBoolean()) {
                throw new MalformedPageException("no true or false at " + endAt.get() + " (end-path)");
            }
            if (end.booleanValue()) {
                return Optional.empty();
            }
            more = true;
        }
        JsonNode url = page.body() == null ? null : page.body().at(urlAt);
        if (url == null || url.isMissingNode() || url.isNull()) {
            if (more) {
                throw new MalformedPageException("the stream goes on (" + endAt.get() + " is false) but there is no next URL at " + urlAt);
            }
            return Optional.empty();
        }
        if (!url.isTextual() || url.asText().isBlank()) {
            throw new MalformedPageException("the next page's URL at " + urlAt + " is not a string");
        }
        return Optional.of(url.asText());
    }

    /** With an end pointer, only the provider's "this is the end" ends the walk: an empty page before it is not the end. */
    @Override
    protected boolean endsOnEmptyPage() {
        return endAt.isEmpty();
    }
}
