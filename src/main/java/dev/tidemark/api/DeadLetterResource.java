package dev.tidemark.api;

import dev.tidemark.http.Problem;
import dev.tidemark.processor.DeadLetterQueue;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code /api/dlq}: how many changes are on the dead-letter topic, by source,
 * and a redrive that replays them into {@code tidemark.changes} — all, or one
 * source's — once their cause is fixed (a configuration change, a release).
 */
@Path("/api/dlq")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    private final DeadLetterQueue dlq;
    private final ObjectMapper json;

    public DeadLetterResource(DeadLetterQueue dlq, ObjectMapper json) {
        this.dlq = dlq;
        this.json = json;
    }

    @GET
    @Blocking
    public Map<String, Object> counts() {
        Map<String, DeadLetterQueue.Count> bySource = dlq.counts();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("total", bySource.values().stream().mapToInt(DeadLetterQueue.Count::total).sum());
        body.put("pending", bySource.values().stream().mapToInt(DeadLetterQueue.Count::pending).sum());
        body.put("bySource", bySource);
        return body;
    }

    /** Body: {@code {"source": "billing"}} for one source's dead letters; none, or {@code {}}, for all. */
    @POST
    @Path("/redrive")
    @Blocking
    public Response redrive(String body) {
        String source = null;
        if (body != null && !body.isBlank()) {
            try {
                JsonNode request = json.readTree(body);
                if (request == null || !request.isObject() || (request.has("source") && !request.get("source").isTextual()
                        && !request.get("source").isNull())) {
                    return Problem.response(Response.Status.BAD_REQUEST, "the body is {\"source\": \"…\"} or nothing");
                }
                source = request.hasNonNull("source") ? request.get("source").asText() : null;
            } catch (JsonProcessingException e) {
                return Problem.response(Response.Status.BAD_REQUEST, "the body is not JSON; it is {\"source\": \"…\"} or nothing");
            }
        }
        if (source != null && source.isBlank()) {
            return Problem.response(Response.Status.BAD_REQUEST, "source: a source name, or leave it out to redrive every dead letter");
        }
        try {
            return Response.ok(dlq.redrive(source)).build();
        } catch (DeadLetterQueue.RedriveUnderWay e) {
            return Problem.response(Response.Status.CONFLICT, e.getMessage());
        }
    }
}
