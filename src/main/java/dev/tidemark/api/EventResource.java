package dev.tidemark.api;

import dev.tidemark.relay.OutboxStore;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /api/events}: the newest rising-edge events, exactly as they are
 * (or are about to be) published on {@code tidemark.events}, from the outbox
 * while it keeps them ({@code tidemark.relay.retention}). For looking, not for
 * consuming: subscribers read the topic.
 */
@Path("/api/events")
@Produces(MediaType.APPLICATION_JSON)
public class EventResource {

    static final int MAX_LIMIT = 500;

    private final OutboxStore outbox;

    public EventResource(OutboxStore outbox) {
        this.outbox = outbox;
    }

    @GET
    public Uni<Response> recent(@QueryParam("source") String source, @QueryParam("resource") String resource,
            @QueryParam("type") String type, @QueryParam("limit") @DefaultValue("20") String limit) {
        int n;
        try {
            n = Integer.parseInt(limit.trim());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > MAX_LIMIT) {
            return Uni.createFrom().item(Problem.response(Response.Status.BAD_REQUEST,
                    "limit: a whole number from 1 to " + MAX_LIMIT));
        }
        if (resource != null && source == null) {
            return Uni.createFrom().item(Problem.response(Response.Status.BAD_REQUEST,
                    "resource: needs source as well"));
        }
        String prefix = source == null ? "" : source + "/" + (resource == null ? "" : resource + "/");
        // The payloads are CloudEvents JSON already; they are joined, not parsed and written again.
        return outbox.recentEvents(prefix, type, n).map(events ->
                Response.ok("{\"events\":[" + String.join(",", events) + "]}", MediaType.APPLICATION_JSON).build());
    }
}
