package dev.tidemark.poller;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.JsonPointers;
import java.util.Optional;
import com.fasterxml.jackson.core.JsonPointer;

/** The next page's whole URL in the body ({@code next}), called as it is. */
final class NextUrlPagination extends TokenWalk {

    private final JsonPointer urlAt;

    NextUrlPagination(ListQuery query, String urlPath) {
        super(query);
        this.urlAt = JsonPointers.compile(urlPath);
    }

    @Override
    protected PageRequest next(String token, Position position) {
        return PageRequest.url(token);
    }

    @Override
    protected Optional<String> nextToken(ListPage page) {
        JsonNode url = page.body() == null ? null : page.body().at(urlAt);
        return url == null || url.isMissingNode() || url.isNull() ? Optional.empty() : Optional.of(url.asText());
    }
}
