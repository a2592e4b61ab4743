package dev.tidemark.api;

import dev.tidemark.change.RecordKey;
import dev.tidemark.processor.RecordRepository;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Reads of the local copy: {@code GET /api/records/{source}/{resource}/{id}}. */
@Path("/api/records")
@Produces(MediaType.APPLICATION_JSON)
public class RecordResource {

    private final RecordRepository records;

    public RecordResource(RecordRepository records) {
        this.records = records;
    }

    @GET
    @Path("/{source}/{resource}/{id: .+}")   // a nested record's id has slashes: p1/e7
    public Uni<Response> get(@PathParam("source") String source, @PathParam("resource") String resource, @PathParam("id") String id) {
        return records.find(new RecordKey(source, resource, id)).map(found -> found
                .map(stored -> Response.ok(RecordView.of(stored)).build())
                .orElseGet(() -> Problem.response(Response.Status.NOT_FOUND,
                        "No record " + source + "/" + resource + "/" + id + " has been seen")));
    }
}
