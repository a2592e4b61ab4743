package dev.tidemark.api;

import dev.tidemark.metrics.Metric;
import dev.tidemark.http.Problem;
import dev.tidemark.config.TidemarkConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Every {@code /api} call needs {@code Authorization: Bearer <tidemark.api.token>}.
 * Without a configured token the API refuses everything rather than open up.
 */
public class ApiTokenFilter {

    private final Optional<byte[]> token;

    private final MeterRegistry metrics;

    public ApiTokenFilter(TidemarkConfig config, MeterRegistry metrics) {
        this.metrics = metrics;
        this.token = config.api().token().filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a (decoded) request path is the API's. */
    static boolean api(String path) {
        return path.equals("/api") || path.startsWith("/api/");
    }

    /** Before matching: without the token, an unknown path or a wrong content type answers 401 too, and tells nothing. */
    @ServerRequestFilter(preMatching = true)
    public Optional<Response> requireToken(ContainerRequestContext request) {
        String path;
        try {
            path = request.getUriInfo().getPath();
        } catch (IllegalArgumentException undecodable) {
            // A path JAX-RS cannot decode (a malformed percent sequence beside a matrix parameter): nothing can be
            // routed by it, and it must not get past this check undecoded. A 400, whatever the path.
            metrics.counter(Metric.HTTP_REFUSED, "status", "400").increment();
            return Optional.of(Problem.response(Response.Status.BAD_REQUEST, "the request's path is not a valid URI path"));
        }
        if (!api(path)) {
            return Optional.empty();
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (token.isPresent() && header != null && header.startsWith("Bearer ")
                && MessageDigest.isEqual(token.get(), header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8))) {
            return Optional.empty();
        }
        metrics.counter(Metric.HTTP_REFUSED, "status", "401").increment();
        return Optional.of(Response.fromResponse(Problem.response(Response.Status.UNAUTHORIZED,
                        token.isPresent() ? "A valid bearer token is required" : "The API is disabled: tidemark.api.token is not set"))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build());
    }
}
