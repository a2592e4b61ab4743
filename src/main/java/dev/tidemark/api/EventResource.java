package dev.tidemark.api;

import dev.tidemark.outbox.OutboxStore;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;

/**
 * {@code GET /api/events}: the newest rising-edge events, exactly as they are
 * (or are about to be) published on {@code tidemark.events}, from the outbox
 * while it keeps them ({@code tidemark.relay.retention}). For looking, not for
 * consuming: subscribers read the topic.
 */
@Path("/api/events")
@Produces(MediaType.APPLICATION_JSON)
public class EventResource {

    private final OutboxStore outbox;

    public EventResource(OutboxStore outbox) {
        this.outbox = outbox;
    }

    @GET
    public Uni<Response> recent(@QueryParam("source") String source, @QueryParam("resource") String resource,
            @QueryParam("type") String type, @QueryParam("limit") @DefaultValue("20") String limit) {
        int n = ListingFilter.limit(limit);
        Optional<Response> problem = ListingFilter.problem(n, source, resource);
        if (problem.isPresent()) {
            return Uni.createFrom().item(problem.get());
        }
        String prefix = source == null ? "" : source + "/" + (resource == null ? "" : resource + "/");
        // The payloads are CloudEvents JSON already; they are joined, not parsed and written again.
        return outbox.recentEvents(prefix, type, n).map(events ->
                Response.ok("{\"events\":[" + String.join(",", events) + "]}", MediaType.APPLICATION_JSON).build());
    }
}
