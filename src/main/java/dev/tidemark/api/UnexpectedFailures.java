package dev.tidemark.api;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * What no resource turned into an answer of its own. A refusal JAX-RS itself
 * raised (an unknown path, a wrong method or media type, a body it could not
 * read) keeps its 4xx and is counted, never logged with a stack trace: hostile
 * traffic must not fill the logs. Anything else is a defect of ours: answered
 * 500 as a problem carrying an error id, and logged once with that id (the
 * method and path, never a body, a header or a query that may hold a token).
 */
public class UnexpectedFailures {

    private static final Logger LOG = Logger.getLogger(UnexpectedFailures.class);
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

    private final MeterRegistry metrics;

    public UnexpectedFailures(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    @ServerExceptionMapper
    public Response map(Throwable failure, UriInfo uri, Request request) {
        if (failure instanceof WebApplicationException refused && refused.getResponse().getStatus() < 500) {
            metrics.counter("tidemark.http.refused", "status", Integer.toString(refused.getResponse().getStatus())).increment();
            return refused.getResponse();
        }
        String errorId = UUID.randomUUID().toString();
        metrics.counter("tidemark.http.failures").increment();
        // The raw path: decoding it can itself fail on the input that brought us here.
        String path = CONTROL.matcher(uri.getPath(false)).replaceAll("?");
        LOG.errorf(failure, "unexpected failure errorId=%s %s %s", errorId, request.getMethod(),
                path.length() > 200 ? path.substring(0, 200) + "…" : path);
        return Response.fromResponse(Problem.response(Response.Status.INTERNAL_SERVER_ERROR,
                "An unexpected failure; its error id in Tidemark's log is " + errorId)).header("X-Error-Id", errorId).build();
    }
}
