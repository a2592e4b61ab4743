package dev.tidemark.api;

import dev.tidemark.http.Problem;
import dev.tidemark.change.RecordView;
import dev.tidemark.change.Connection;
import dev.tidemark.change.RecordKey;
import dev.tidemark.change.Timestamps;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.processor.RecordRepository;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads of the local copy: one record, or a resource's records page by page
 * in (updatedAt, id) order — the order a reader keeping its own copy wants,
 * deletes included — with an opaque cursor to the next page.
 */
@Path("/api/records")
@Produces(MediaType.APPLICATION_JSON)
public class RecordResource {

    static final int DEFAULT_LIMIT = 100;

    private final RecordRepository records;
    private final TidemarkConfig config;

    public RecordResource(RecordRepository records, TidemarkConfig config) {
        this.records = records;
        this.config = config;
    }

    @GET
    @Path("/{source}/{resource}/{id: .+}")   // a nested record's id has slashes: p1/e7
    public Uni<Response> get(@PathParam("source") String source, @PathParam("resource") String resource, @PathParam("id") String id) {
        return record(Connection.implicit(source), resource, id);
    }

    /** A record of {@code connection}, as {@link #get} answers it. */
    Uni<Response> record(Connection connection, String resource, String id) {
        return records.find(new RecordKey(connection.source(), connection.id(), resource, id)).map(found -> found
                .map(stored -> Response.ok(RecordView.of(stored.key(), stored.state())).build())
                .orElseGet(() -> Problem.response(Response.Status.NOT_FOUND,
                        "No record " + connection + "/" + resource + "/" + id + " has been seen")));
    }

    /**
     * {@code GET /api/records/{source}/{resource}?updatedSince=&limit=&cursor=}:
     * up to {@code limit} records with updatedAt at or after
     * {@code updatedSince}, and {@code nextCursor} for the page after (null on
     * the last). A record updated while a reader pages moves behind the cursor
     * and comes again on a later page. It is a snapshot in updatedAt order, not
     * a change feed: a change applied late with an older updatedAt than the
     * cursor's is not on a later page (tidemark.records is the feed).
     */
    @GET
    @Path("/{source}/{resource}")
    public Uni<Response> list(@PathParam("source") String source, @PathParam("resource") String resource,
            @QueryParam("updatedSince") String updatedSince, @QueryParam("limit") @DefaultValue("" + DEFAULT_LIMIT) String limit,
            @QueryParam("cursor") String cursor) {
        return listing(Connection.implicit(source), resource, updatedSince, limit, cursor);
    }

    /** A page of the records of {@code connection}'s resource, as {@link #list} answers it. */
    Uni<Response> listing(Connection connection, String resource, String updatedSince, String limit, String cursor) {
        String source = connection.source();
        TidemarkConfig.Source settings = config.sources().get(source);
        if (settings == null || !settings.resources().containsKey(resource)) {
            return Uni.createFrom().item(Problem.response(Response.Status.NOT_FOUND, settings == null ? "no source " + source
                    : "source " + source + " has no resource " + resource));
        }
        int n = ListingFilter.limit(limit);
        Optional<Response> problem = ListingFilter.problem(n, null, null);
        if (problem.isPresent()) {
            return Uni.createFrom().item(problem.get());
        }
        Instant since = null;
        if (updatedSince != null && !updatedSince.isBlank()) {
            try {
                since = Instant.parse(updatedSince.trim());
            } catch (DateTimeParseException e) {
                return Uni.createFrom().item(Problem.response(Response.Status.BAD_REQUEST,
                        "updatedSince: an ISO-8601 instant such as 2026-11-01T00:00:00Z"));
            }
        }
        Optional<Keyset> after = Optional.empty();
        if (cursor != null && !cursor.isBlank()) {
            after = Keyset.parse(cursor.trim());
            if (after.isEmpty()) {
                return Uni.createFrom().item(Problem.response(Response.Status.BAD_REQUEST,
                        "cursor: not a cursor this API handed out (pass nextCursor as it is)"));
            }
        }
        Instant afterAt = after.map(Keyset::updatedAt).orElse(null);
        String afterId = after.map(Keyset::id).orElse(null);
        // One more than asked tells whether there is a next page without a second query.
        return records.page(connection, resource, since, afterAt, afterId, n + 1).map(page -> {
            List<RecordRepository.StoredRecord> shown = page.size() > n ? page.subList(0, n) : page;
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("records", shown.stream().map(stored -> RecordView.of(stored.key(), stored.state())).toList());
            RecordRepository.StoredRecord last = shown.isEmpty() ? null : shown.get(shown.size() - 1);
            body.put("nextCursor", page.size() > n ? new Keyset(last.state().updatedAt(), last.key().id()).encode() : null);
            return Response.ok(body).build();
        });
    }

    /** Where a page ended: the last record's (updatedAt, id), as an opaque URL-safe token. */
    record Keyset(Instant updatedAt, String id) {

        String encode() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString((updatedAt + "|" + id).getBytes(StandardCharsets.UTF_8));
        }

        static Optional<Keyset> parse(String cursor) {
            try {
                String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                int bar = text.indexOf('|');
                if (bar < 0) {
                    return Optional.empty();
                }
                return Optional.of(new Keyset(Timestamps.micros(Instant.parse(text.substring(0, bar))), text.substring(bar + 1)));
            } catch (IllegalArgumentException | DateTimeParseException e) {
                return Optional.empty();
            }
        }
    }
}
