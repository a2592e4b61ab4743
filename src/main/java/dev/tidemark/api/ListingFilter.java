package dev.tidemark.api;

import dev.tidemark.http.Problem;
import jakarta.ws.rs.core.Response;
import java.util.Optional;

/** The query parameters the listing endpoints share: a limit from 1 to 500, and a resource only with its source. */
final class ListingFilter {

    static final int MAX_LIMIT = 500;

    private ListingFilter() {
    }

    /** The limit asked for, or -1 when it is not a whole number. */
    static int limit(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A 400 naming the parameter that is wrong, or empty when both are fine. */
    static Optional<Response> problem(int limit, String source, String resource) {
        if (limit < 1 || limit > MAX_LIMIT) {
            return Optional.of(Problem.response(Response.Status.BAD_REQUEST, "limit: a whole number from 1 to " + MAX_LIMIT));
        }
        if (resource != null && source == null) {
            return Optional.of(Problem.response(Response.Status.BAD_REQUEST, "resource: needs source as well"));
        }
        return Optional.empty();
    }
}
