package dev.tidemark.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Connection;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionChange;
import dev.tidemark.connections.ConnectionConflict;
import dev.tidemark.connections.ConnectionSpec;
import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.connections.StoredConnection;
import dev.tidemark.http.Problem;
import dev.tidemark.poller.CheckpointStore;
import dev.tidemark.poller.LeaseStore;
import dev.tidemark.poller.PollScheduler;
import dev.tidemark.poller.ConnectionTraces;
import dev.tidemark.poller.RunStore;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.poller.SyncTarget;
import dev.tidemark.processor.ConnectionRemains;
import dev.tidemark.processor.LocalCopy;
import dev.tidemark.secrets.SecretsException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.logging.Logger;

/**
 * The connections of a source (docs/connections.md): create, list, read,
 * change and delete them; sync a resource of one; its runs and records.
 * Answers never carry a secret, only whether one is set.
 */
@Path("/api/sources/{source}/connections")
@Produces(MediaType.APPLICATION_JSON)
public class ConnectionResource {

    private static final Logger LOG = Logger.getLogger(ConnectionResource.class);

    static final int DEFAULT_LIMIT = 100;
    static final int PURGE_PAGE = 500;

    private final TidemarkConfig config;
    private final ConnectionStore connections;
    private final LeaseStore leases;
    private final RunStore runs;
    private final CheckpointStore checkpoints;
    private final RecordResource records;
    private final LocalCopy local;
    private final ChangePublisher changes;
    private final PollScheduler scheduler;
    private final ConnectionTraces traces;
    private final ConnectionRemains remains;

    public ConnectionResource(TidemarkConfig config, ConnectionStore connections, LeaseStore leases, RunStore runs,
            CheckpointStore checkpoints, RecordResource records, LocalCopy local, ChangePublisher changes, PollScheduler scheduler,
            ConnectionTraces traces, ConnectionRemains remains) {
        this.scheduler = scheduler;
        this.traces = traces;
        this.remains = remains;
        this.config = config;
        this.connections = connections;
        this.leases = leases;
        this.runs = runs;
        this.checkpoints = checkpoints;
        this.records = records;
        this.local = local;
        this.changes = changes;
    }

    /** The body of a create, for the OpenAPI document (read by {@link ConnectionRequests}, which checks each field). */
    @Schema(name = "ConnectionBody", description = "A connection to create; a PATCH takes the same fields but id, each optional")
    public record ConnectionBody(
            @Schema(description = "1 to 128 of A-Z a-z 0-9 . _ -; not the name of one of the source's resources") String id,
            @Schema(description = "By the source's auth type: token; username, password; refreshToken, clientId, clientSecret. "
                    + "Write-only: never answered") Map<String, String> credentials,
            @Schema(description = "Exactly the names the source declares (connections.variables)") Map<String, String> variables,
            @Schema(description = "For routing by pointer or header: the values that name this account in webhooks") List<String> routingKeys,
            @Schema(description = "For routing by URL: this connection's own webhook secrets. Write-only") List<String> webhookSecrets,
            @Schema(description = "Any JSON, up to 16 KiB, kept and returned as is") Object metadata,
            @Schema(description = "Per polled resource, how often it is polled (15m, PT15M)") Map<String, String> schedule,
            @Schema(description = "This account's own quota, when not the source's api.rate-limit: requestsPerSecond, burst, "
                    + "maxConcurrency (each optional); null for the source's") Map<String, Number> rateLimit,
            @Schema(description = "false creates it paused", defaultValue = "true") Boolean enabled) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a connection (one customer account) of a source")
    @RequestBody(content = @Content(schema = @Schema(implementation = ConnectionBody.class)))
    @APIResponse(responseCode = "201", description = "The connection, without its secrets")
    @APIResponse(responseCode = "400", description = "A field is wrong; the problem names it")
    @APIResponse(responseCode = "409", description = "The id, or a routing key, is another connection's")
    public Uni<Response> create(@PathParam("source") String source, JsonNode body) {
        Optional<Response> unknown = connectionSource(source);
        if (unknown.isPresent()) {
            return Uni.createFrom().item(unknown.get());
        }
        TidemarkConfig.Source settings = config.sources().get(source);
        var spec = read(() -> ConnectionRequests.create(source, settings, body));
        if (spec.problem() != null) {
            return Uni.createFrom().item(spec.problem());
        }
        return create(spec.value());
    }

    /**
     * The connection, its schedule rows, and nothing of an earlier connection of its id (a run's last checkpoint
     * can land after its DELETE), in one transaction: a create under a thousand accounts' backfills waited for the
     * database pool once per statement, about ten times (1.4 s p50 in the scale benchmark).
     */
    private Uni<Response> create(ConnectionSpec spec) {
        Connection connection = spec.connection();
        AtomicReference<ConnectionRemains.Left> left = new AtomicReference<>(ConnectionRemains.Left.NOTHING);
        ConnectionStore.CreateSteps steps = new ConnectionStore.CreateSteps() {
            @Override
            public Uni<Optional<ConnectionConflict>> check(SqlClient db) {
                // Records under an id no connection has are a deleted one's; the id is free once they are gone.
                return remains.left(db, connection).map(found -> {
                    left.set(found);
                    return found == ConnectionRemains.Left.NOTHING ? Optional.empty() : Optional.of(new ConnectionConflict("id",
                            "connection '" + connection.id() + "' of source '" + connection.source()
                                    + "' was deleted and its records are still being removed; try again in a minute"));
                });
            }

            @Override
            public Uni<Void> write(SqlClient db, StoredConnection created) {
                // Given together, applied in this order: the earlier id's traces go before this one's schedule rows are written.
                return Uni.join().all(traces.forget(db, connection), scheduler.schedule(db, connection, created.schedule()))
                        .andFailFast().replaceWithVoid();
            }
        };
        return connections.create(spec, steps)
                .map(created -> Response.created(URI.create("/api/sources/" + connection.source() + "/connections/" + connection.id()))
                        .entity(view(created)).build())
                // Rows with no deletion recorded get one, so the sweep removes them and the id comes free.
                .onFailure(failure -> left.get() == ConnectionRemains.Left.STRAGGLERS)
                .call(() -> remains.deleted(connection, false).onFailure().recoverWithNull())
                .onFailure().recoverWithItem(ConnectionResource::failure);
    }

    @GET
    public Uni<Response> list(@PathParam("source") String source, @QueryParam("limit") @DefaultValue("" + DEFAULT_LIMIT) String limit,
            @QueryParam("cursor") String cursor) {
        Optional<Response> unknown = connectionSource(source);
        if (unknown.isPresent()) {
            return Uni.createFrom().item(unknown.get());
        }
        int n = ListingFilter.limit(limit);
        Optional<Response> problem = ListingFilter.problem(n, null, null);
        if (problem.isPresent()) {
            return Uni.createFrom().item(problem.get());
        }
        Optional<String> after = Optional.empty();
        if (cursor != null && !cursor.isBlank()) {
            after = decodeCursor(cursor.trim());
            if (after.isEmpty()) {
                return Uni.createFrom().item(badRequest("cursor: not a cursor this API handed out (pass nextCursor as it is)"));
            }
        }
        return connections.list(source, n, after).chain(page -> {
            List<String> ids = page.connections().stream().map(c -> c.connection().id()).toList();
            return runs.latestRuns(source, ids).chain(latest -> checkpoints.reached(source, ids).map(reached -> {
                List<Map<String, Object>> views = new ArrayList<>();
                for (StoredConnection stored : page.connections()) {
                    Map<String, Object> view = view(stored);
                    view.put("resources", health(stored, latest.getOrDefault(stored.connection().id(), List.of()),
                            reached.getOrDefault(stored.connection().id(), Map.of())));
                    views.add(view);
                }
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("connections", views);
                body.put("nextCursor", page.last().map(ConnectionResource::encodeCursor).orElse(null));
                return Response.ok(body).build();
            }));
        });
    }

    @GET
    @Path("/{id}")
    public Uni<Response> read(@PathParam("source") String source, @PathParam("id") String id) {
        return existing(source, id, stored -> resources(stored).map(resources -> {
            Map<String, Object> body = view(stored);
            body.put("resources", resources);
            return Response.ok(body).build();
        }));
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Change a connection: the fields given replace the stored ones; new credentials clear needs-reauthorization")
    @RequestBody(content = @Content(schema = @Schema(implementation = ConnectionBody.class)))
    public Uni<Response> change(@PathParam("source") String source, @PathParam("id") String id, JsonNode body) {
        Optional<Response> unknown = connectionSource(source);
        if (unknown.isPresent()) {
            return Uni.createFrom().item(unknown.get());
        }
        var change = read(() -> ConnectionRequests.change(config.sources().get(source), body));
        if (change.problem() != null) {
            return Uni.createFrom().item(change.problem());
        }
        Connection connection = new Connection(source, id);
        return connections.update(connection, change.value())
                .call(updated -> updated.isPresent() && change.value().schedule().isPresent() ? schedule(updated.get())
                        : Uni.createFrom().voidItem())
                .map(updated -> updated.map(stored -> Response.ok(view(stored)).build()).orElseGet(() -> notFound(connection)))
                .onFailure().recoverWithItem(ConnectionResource::failure);
    }

    /**
     * Removes the connection: its polls stop (no schedule row, no account to call as; a run under way ends at
     * its next page). With {@code purge=true} each of its live records gets a delete, which the processor
     * applies like any other, so subscribers of tidemark.records and tidemark.events see them go.
     */
    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a connection and stop its work; with purge=true, also a delete of each of its records")
    public Uni<Response> delete(@PathParam("source") String source, @PathParam("id") String id, @QueryParam("purge") String purge) {
        Optional<Response> unknown = connectionSource(source);
        if (unknown.isPresent()) {
            return Uni.createFrom().item(unknown.get());
        }
        if (purge != null && !purge.equals("true") && !purge.equals("false")) {
            return Uni.createFrom().item(badRequest("purge: true or false"));
        }
        Connection connection = new Connection(source, id);
        boolean purging = "true".equals(purge);
        // Its work stops first: paused (no new run is given its account), no schedule rows, its leases freed (a run
        // under way stops at its next checkpoint). Then the purge, and only then the row: a purge cut short is
        // finished by deleting again.
        ConnectionChange pause = new ConnectionChange(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(false));
        return connections.update(connection, pause).chain(paused -> {
            if (paused.isEmpty()) {
                return Uni.createFrom().item(notFound(connection));
            }
            // Everything the connection kept goes with it, so one created again with its id starts afresh (a backfill);
            // its records are the processors' to remove, a batch at a time (ConnectionRemains).
            return traces.forget(connection)
                    .chain(() -> leases.releaseAll(connection))
                    .chain(() -> remains.deleted(connection, purging))
                    .chain(() -> purging ? purge(connection) : Uni.createFrom().item(0L))
                    .call(() -> connections.delete(connection))
                    .map(purged -> {
                        LOG.infof("connection %s deleted%s", connection, purging ? "; " + purged + " records purged" : "");
                        return purging ? Response.ok(Map.of("purged", purged)).build() : Response.noContent().build();
                    });
        });
    }

    @POST
    @Path("/{id}/resources/{resource}/sync")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> sync(@PathParam("source") String source, @PathParam("id") String id, @PathParam("resource") String resource,
            SyncResource.SyncRequest request) {
        TidemarkConfig.Source settings = config.sources().get(source);
        if (settings != null && settings.connections().isPresent()
                && (!settings.resources().containsKey(resource) || settings.resources().get(resource).list().isEmpty())) {
            return Uni.createFrom().item(Problem.response(Response.Status.NOT_FOUND, "source " + source + " polls no resource " + resource));
        }
        Optional<SyncMode> mode = SyncResource.mode(request);
        if (mode.isEmpty()) {
            return Uni.createFrom().item(badRequest(SyncResource.MODES));
        }
        return existing(source, id, stored -> SyncResource.start(scheduler, leases, new SyncTarget(stored.connection(), resource, ""),
                mode.get()));
    }

    @GET
    @Path("/{id}/runs")
    public Uni<Response> runs(@PathParam("source") String source, @PathParam("id") String id, @QueryParam("resource") String resource,
            @QueryParam("limit") @DefaultValue("20") String limit) {
        int n = ListingFilter.limit(limit);
        Optional<Response> problem = ListingFilter.problem(n, null, null);
        if (problem.isPresent()) {
            return Uni.createFrom().item(problem.get());
        }
        return existing(source, id, stored -> runs.runs(source, id, resource, n).map(list -> Response.ok(Map.of("runs", list)).build()));
    }

    @GET
    @Path("/{id}/records/{resource}/{recordId: .+}")
    public Uni<Response> record(@PathParam("source") String source, @PathParam("id") String id, @PathParam("resource") String resource,
            @PathParam("recordId") String recordId) {
        return existing(source, id, stored -> records.record(stored.connection(), resource, recordId));
    }

    @GET
    @Path("/{id}/records/{resource}")
    public Uni<Response> records(@PathParam("source") String source, @PathParam("id") String id, @PathParam("resource") String resource,
            @QueryParam("updatedSince") String updatedSince, @QueryParam("limit") @DefaultValue("100") String limit,
            @QueryParam("cursor") String cursor) {
        return existing(source, id, stored -> records.listing(stored.connection(), resource, updatedSince, limit, cursor));
    }

    /** The connection's polled resources, due from now, each on its own schedule or the connection's override. */
    private Uni<Void> schedule(StoredConnection connection) {
        return scheduler.schedule(connection.connection(), connection.schedule());
    }

    /** Publishes a delete of every live record of the connection, resource by resource; how many. */
    private Uni<Long> purge(Connection connection) {
        Instant now = Timestamps.micros(Clock.systemUTC().instant());
        List<String> resources = new ArrayList<>(new TreeMap<>(config.sources().get(connection.source()).resources()).keySet());
        return Multi.createFrom().iterable(resources)
                .onItem().transformToUniAndConcatenate(resource -> purge(connection, resource, "", now, 0L))
                .collect().asList().map(counts -> counts.stream().mapToLong(Long::longValue).sum());
    }

    private Uni<Long> purge(Connection connection, String resource, String after, Instant now, long done) {
        return local.page(connection, resource, after, false, null, PURGE_PAGE).chain(page -> {
            if (page.isEmpty()) {
                return Uni.createFrom().item(done);
            }
            // At the later of now and the record's own updated_at, so the delete wins over the state it ends.
            List<ChangeEnvelope> deletes = page.stream().map(record -> ChangeEnvelope.of(connection, resource, record.id(), Op.DELETE,
                    record.updatedAt().isAfter(now) ? record.updatedAt() : now, null, Origin.RECONCILE, "purge:" + connection, now)).toList();
            String last = page.get(page.size() - 1).id();
            return changes.publish(deletes).chain(() -> page.size() < PURGE_PAGE ? Uni.createFrom().item(done + page.size())
                    : purge(connection, resource, last, now, done + page.size()));
        });
    }

    /** Per polled resource of a listed connection, in two queries for the whole page: health, last run's end, lag. */
    private List<Map<String, Object>> health(StoredConnection stored, List<SyncRun> latest, Map<String, Instant> reached) {
        List<Map<String, Object>> views = new ArrayList<>();
        new TreeMap<>(config.sources().get(stored.connection().source()).resources()).forEach((resource, r) -> {
            if (r.list().isEmpty() || r.parent().isPresent()) {
                return;
            }
            Optional<SyncRun> last = latest.stream().filter(run -> run.resource().equals(resource)).findFirst();
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("resource", resource);
            view.put("health", SyncResource.health(last));
            view.put("lastRunStatus", last.map(SyncRun::status).orElse(null));
            view.put("lastRunEndedAt", last.flatMap(SyncRun::endedAt).orElse(null));
            view.put("lagSeconds", Optional.ofNullable(reached.get(resource))
                    .map(at -> Math.max(0, java.time.Duration.between(at, Instant.now()).toSeconds())).orElse(null));
            views.add(view);
        });
        return views;
    }

    /** Per polled resource: the last run, the checkpoint and the lag. */
    private Uni<List<Map<String, Object>>> resources(StoredConnection stored) {
        TidemarkConfig.Source settings = config.sources().get(stored.connection().source());
        List<Uni<Map<String, Object>>> views = new ArrayList<>();
        new TreeMap<>(settings.resources()).forEach((resource, r) -> {
            if (r.list().isEmpty() || r.parent().isPresent()) {
                return;
            }
            SyncTarget target = new SyncTarget(stored.connection(), resource, "");
            views.add(checkpoints.checkpoint(target).chain(checkpoint -> runs.runs(target.source(), target.connection().id(),
                    resource, 1).map(last -> {
                        Map<String, Object> view = new LinkedHashMap<>();
                        view.put("resource", resource);
                        view.put("health", SyncResource.health(last.stream().findFirst()));
                        view.put("lastRun", last.isEmpty() ? null : last.get(0));
                        view.put("checkpoint", checkpoint.map(SyncResource::checkpoint).orElse(null));
                        view.put("lagSeconds", checkpoint.map(c -> c.position().updatedAt())
                                .map(at -> Math.max(0, java.time.Duration.between(at, Instant.now()).toSeconds())).orElse(null));
                        return view;
                    })));
        });
        return views.isEmpty() ? Uni.createFrom().item(List.of()) : Uni.join().all(views).andFailFast();
    }

    private Uni<Response> existing(String source, String id, java.util.function.Function<StoredConnection, Uni<Response>> then) {
        Optional<Response> unknown = connectionSource(source);
        if (unknown.isPresent()) {
            return Uni.createFrom().item(unknown.get());
        }
        Connection connection = new Connection(source, id);
        return connections.find(connection).chain(found -> found.isEmpty() ? Uni.createFrom().item(notFound(connection))
                : then.apply(found.get()));
    }

    /** 404 unless the source exists and serves connections. */
    private Optional<Response> connectionSource(String source) {
        TidemarkConfig.Source settings = config.sources().get(source);
        if (settings == null) {
            return Optional.of(Problem.response(Response.Status.NOT_FOUND, "no source " + source));
        }
        if (settings.connections().isEmpty()) {
            return Optional.of(Problem.response(Response.Status.NOT_FOUND, "source " + source + " has no connections: it is "
                    + "configured as one account (add tidemark.sources." + source + ".connections to serve many)"));
        }
        return Optional.empty();
    }

    /** The connection as the API shows it: never a secret, only whether one is set. */
    static Map<String, Object> view(StoredConnection stored) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("source", stored.connection().source());
        view.put("id", stored.connection().id());
        view.put("state", stored.state().configName());
        view.put("stateReason", stored.stateReason());
        view.put("enabled", stored.state() != dev.tidemark.connections.ConnectionState.PAUSED);
        view.put("variables", new TreeMap<>(stored.variables()));
        view.put("routingKeys", stored.routingKeys());
        view.put("metadata", stored.metadata());
        view.put("schedule", new TreeMap<>(stored.schedule()));
        view.put("rateLimit", stored.rateLimit().asMap());
        Map<String, Object> credentials = new LinkedHashMap<>();
        credentials.put("set", stored.hasCredentials());
        credentials.put("changedAt", stored.credentialsChangedAt());
        view.put("credentials", credentials);
        view.put("webhookSecrets", Map.of("set", stored.hasWebhookSecrets()));
        view.put("createdAt", stored.createdAt());
        view.put("updatedAt", stored.updatedAt());
        return view;
    }

    private record Read<T>(T value, Response problem) {
    }

    private interface Reader<T> {
        T read() throws ConnectionRequests.Invalid;
    }

    private static <T> Read<T> read(Reader<T> reader) {
        try {
            return new Read<>(reader.read(), null);
        } catch (ConnectionRequests.Invalid e) {
            return new Read<>(null, badRequest(e.getMessage()));
        }
    }

    private static Response failure(Throwable failure) {
        if (failure instanceof ConnectionConflict conflict) {
            return Problem.response(Response.Status.CONFLICT, conflict.field() + ": " + conflict.getMessage());
        }
        if (failure instanceof SecretsException) {
            // No key to seal with (or to open an older value with): nothing was stored in clear.
            return Problem.response(Response.Status.BAD_REQUEST, "credentials: cannot be stored: " + failure.getMessage());
        }
        throw failure instanceof RuntimeException runtime ? runtime : new IllegalStateException(failure);
    }

    private static Response notFound(Connection connection) {
        return Problem.response(Response.Status.NOT_FOUND, "no connection " + connection.id() + " of source " + connection.source());
    }

    private static Response badRequest(String detail) {
        return Problem.response(Response.Status.BAD_REQUEST, detail);
    }

    static String encodeCursor(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("c|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Optional<String> decodeCursor(String cursor) {
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            return text.startsWith("c|") && ConnectionRequests.ID.matcher(text.substring(2)).matches()
                    ? Optional.of(text.substring(2)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
