package dev.tidemark.api;

import dev.tidemark.http.Problem;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Path segments and query values PostgreSQL cannot hold never reach it: a NUL
 * character (text refuses it: a 500 before), or a value longer than any id,
 * source, cursor or timestamp Tidemark stores ({@link #MAX_LENGTH}). Refused
 * with a 400 that names the parameter, after the token check, so a caller
 * without the token learns nothing.
 */
public class ApiInputFilter {

    /** Longer than any stored id or key part; an index entry of PostgreSQL's B-tree holds about 2,700 bytes. */
    static final int MAX_LENGTH = 1024;

    @ServerRequestFilter
    public Optional<Response> refuseWhatCannotBeStored(ContainerRequestContext request) {
        try {
            String path = request.getUriInfo().getPath();
            if (!ApiTokenFilter.api(path)) {
                return Optional.empty();
            }
            return problem(request.getUriInfo().getPathParameters())
                    .or(() -> problem(request.getUriInfo().getQueryParameters()))
                    .map(detail -> Problem.response(Response.Status.BAD_REQUEST, detail));
        } catch (IllegalArgumentException undecodable) {
            return Optional.of(Problem.response(Response.Status.BAD_REQUEST, "the request's path or query is not validly encoded"));
        }
    }

    private static Optional<String> problem(Map<String, List<String>> parameters) {
        for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
            for (String value : parameter.getValue()) {
                Optional<String> problem = problem(parameter.getKey(), value);
                if (problem.isPresent()) {
                    return problem;
                }
            }
        }
        return Optional.empty();
    }

    /** Why {@code value} cannot be a parameter of the API, or empty when it can. */
    static Optional<String> problem(String name, String value) {
        String shown = name.length() > 64 || name.indexOf('\u0000') >= 0 ? "a parameter" : name;
        if (value == null) {
            return Optional.empty();
        }
        if (value.length() > MAX_LENGTH) {
            return Optional.of(shown + ": longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\u0000') {
                return Optional.of(shown + ": contains a NUL character");
            }
            if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(++i)))) {
                return Optional.of(shown + ": is not valid UTF-8");
            }
        }
        return Optional.empty();
    }
}
