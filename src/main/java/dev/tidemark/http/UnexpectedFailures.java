package dev.tidemark.http;

import dev.tidemark.metrics.Metric;
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
    /** Error lines a second; the rest are counted (tidemark_http_failures_total) and answered with their id. */
    private final LogBudget lines = LogBudget.budget(5);

    public UnexpectedFailures(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    @ServerExceptionMapper
    public Response map(Throwable failure, UriInfo uri, Request request) {
        if (failure instanceof WebApplicationException answered) {
            // An answer chosen where it was thrown (a 404 of routing, a 503 with Retry-After): kept, headers and all.
            int status = answered.getResponse().getStatus();
            metrics.counter(status < 500 ? Metric.HTTP_REFUSED : Metric.HTTP_UNAVAILABLE, "status", Integer.toString(status))
                    .increment();
            return answered.getResponse();
        }
        String errorId = UUID.randomUUID().toString();
        metrics.counter(Metric.HTTP_FAILURES).increment();
        // The raw path: decoding it can itself fail on the input that brought us here.
        String path = CONTROL.matcher(uri.getRequestUri().getRawPath()).replaceAll("?");
        if (lines.admit() >= 0) {
            // Once per failure, at most a few a second (a database outage fails every request alike): the exception's
            // class and stack, not its message, which may quote the input.
            Throwable shown = new Throwable(failure.getClass().getName());
            shown.setStackTrace(failure.getStackTrace());
            LOG.errorf(shown, "unexpected failure errorId=%s %s %s", errorId, request.getMethod(),
                    path.length() > 200 ? path.substring(0, 200) + "…" : path);
        }
        return Response.fromResponse(Problem.response(Response.Status.INTERNAL_SERVER_ERROR,
                "An unexpected failure; its error id in Tidemark's log is " + errorId)).header("X-Error-Id", errorId).build();
    }
}
