package dev.tidemark.api;

import dev.tidemark.change.Connection;
import dev.tidemark.http.Problem;
import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionState;
import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.poller.Checkpoint;
import dev.tidemark.poller.Accounts;
import dev.tidemark.poller.AuthStateStore;
import dev.tidemark.poller.CheckpointStore;
import dev.tidemark.poller.LeaseStore;
import dev.tidemark.poller.RunStore;
import dev.tidemark.poller.ProviderClient;
import dev.tidemark.poller.PollScheduler;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.poller.RunStatus;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncTarget;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The poller's admin API (README "Read and admin API"): trigger a sync, list and show runs, and
 * each source's state.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class SyncResource {


    private final TidemarkConfig config;
    private final PollScheduler sync;
    private final LeaseStore leases;
    private final RunStore runs;
    private final CheckpointStore checkpoints;
    private final AuthStateStore auth;
    private final ProviderClient client;
    private final ConnectionStore connections;

    public SyncResource(TidemarkConfig config, PollScheduler sync, LeaseStore leases, RunStore runs, CheckpointStore checkpoints,
            AuthStateStore auth, ProviderClient client, ConnectionStore connections) {
        this.connections = connections;
        this.config = config;
        this.sync = sync;
        this.leases = leases;
        this.runs = runs;
        this.checkpoints = checkpoints;
        this.auth = auth;
        this.client = client;
    }

    /** The body of a sync request. */
    public record SyncRequest(String mode) {
    }

    @POST
    @Path("/sources/{source}/resources/{resource}/sync")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> sync(@PathParam("source") String source, @PathParam("resource") String resource, SyncRequest request) {
        Optional<Response> problem = pollable(source, resource);
        if (problem.isPresent()) {
            return Uni.createFrom().item(problem.get());
        }
        if (!Roles.POLLER.runsIn(config)) {
            // A run calls the provider from this replica: only a poller holds the provider's credentials (k8s/base),
            // and one without them would be refused and mark the source as needing re-authorization.
            return Uni.createFrom().item(Problem.response(Response.Status.CONFLICT,
                    "This replica does not poll (tidemark.roles): ask a replica with the poller role"));
        }
        Optional<SyncMode> mode = mode(request);
        if (mode.isEmpty()) {
            return Uni.createFrom().item(Problem.response(Response.Status.BAD_REQUEST, MODES));
        }
        return start(sync, leases, SyncTarget.of(source, resource), mode.get());
    }

    static final String MODES = "mode: 'incremental', 'full' or 'reconcile'";

    /** The mode a sync request asks for (incremental when it names none); empty for one that is not a mode. */
    static Optional<SyncMode> mode(SyncRequest request) {
        return request == null || request.mode() == null ? Optional.of(SyncMode.INCREMENTAL)
                : ConfigKind.named(SyncMode.class, request.mode());
    }

    /**
     * Starts a run asked for through the API: 202 with its id, or 409 naming the run that holds the resource, or
     * the reason its connection cannot be called as (paused, needing re-authorization, gone).
     */
    static Uni<Response> start(PollScheduler sync, LeaseStore leases, SyncTarget target, SyncMode mode) {
        return sync.runNow(target, mode).chain(started -> {
            if (started.isPresent()) {
                UUID id = started.get();
                return Uni.createFrom().item(Response.accepted(Map.of("runId", id.toString(), "mode", mode.configName()))
                        .location(URI.create("/api/runs/" + id)).build());
            }
            return leases.holder(target).map(holder -> Problem.response(Response.Status.CONFLICT, target
                    + holder.map(run -> " is being synced by run " + run).orElse(" is being synced: a replica has claimed it "
                            + "and is starting its run, or the run has just ended") + "; try again when it ends"));
        }).onFailure(Accounts.Unavailable.class).recoverWithItem(failure -> Problem.response(Response.Status.CONFLICT,
                failure.getMessage()))
                // Refused rather than queued: the caller knows at once, and tries again when a run has ended.
                .onFailure(PollScheduler.PoolFull.class).recoverWithItem(failure -> Response.fromResponse(
                        Problem.response(Response.Status.SERVICE_UNAVAILABLE, failure.getMessage())).header("Retry-After", "5").build());
    }

    @GET
    @Path("/runs/{id}")
    public Uni<Response> run(@PathParam("id") String id) {
        UUID runId;
        try {
            runId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(Problem.response(Response.Status.NOT_FOUND, "no run " + id));
        }
        return runs.run(runId).map(run -> run.map(r -> Response.ok(r).build())
                .orElseGet(() -> Problem.response(Response.Status.NOT_FOUND, "no run " + id)));
    }

    @GET
    @Path("/runs")
    public Uni<Response> runs(@QueryParam("source") String source, @QueryParam("resource") String resource,
            @QueryParam("limit") @DefaultValue("20") String limit) {
        int n = ListingFilter.limit(limit);
        Optional<Response> problem = ListingFilter.problem(n, source, resource);
        if (problem.isPresent()) {
            return Uni.createFrom().item(problem.get());
        }
        return runs.runs(source, null, resource, n).map(runs -> Response.ok(Map.of("runs", runs)).build());
    }

    /** Each source and its polled resources: checkpoint, last run, lag (how old the checkpoint's newest record is) and health. */
    @GET
    @Path("/sources")
    public Uni<Map<String, Object>> sources() {
        List<Uni<Map<String, Object>>> resources = new ArrayList<>();
        new TreeMap<>(config.sources()).forEach((source, settings) -> new TreeMap<>(settings.resources()).forEach((resource, r) ->
                resources.add(settings.connections().isPresent() ? Uni.createFrom().item(perConnection(source, resource, r, settings))
                        : describe(SyncTarget.of(source, resource), r, settings.api().isPresent()))));
        if (resources.isEmpty()) {
            return Uni.createFrom().item(Map.<String, Object>of("sources", List.of()));
        }
        List<String> withConnections = config.sources().entrySet().stream().filter(e -> e.getValue().connections().isPresent())
                .map(Map.Entry::getKey).sorted().toList();
        Uni<Map<String, Map<String, Object>>> counts = withConnections.isEmpty() ? Uni.createFrom().item(Map.of())
                : Uni.join().all(withConnections.stream().map(this::connectionCounts).toList()).andFailFast().map(list -> {
                    Map<String, Map<String, Object>> bySource = new TreeMap<>();
                    for (int i = 0; i < list.size(); i++) {
                        bySource.put(withConnections.get(i), list.get(i));
                    }
                    return bySource;
                });
        return Uni.join().all(resources).andFailFast().chain(described -> counts.chain(connectionCounts -> auth.refusedSources().map(refused -> {
            Map<String, List<Map<String, Object>>> bySource = new TreeMap<>();
            described.forEach(d -> bySource.computeIfAbsent((String) d.remove("source"), s -> new ArrayList<>()).add(d));
            List<Map<String, Object>> sources = new ArrayList<>();
            bySource.forEach((source, list) -> {
                Map<String, Object> view = new LinkedHashMap<>();
                view.put("source", source);
                boolean perConnection = config.sources().get(source).connections().isPresent();
                view.put("auth", config.sources().get(source).api().flatMap(TidemarkConfig.ProviderApi::auth).map(auth -> {
                    Map<String, Object> state = new LinkedHashMap<>();
                    state.put("type", auth.type());
                    if (!perConnection) {   // each connection has its own state: see connections
                        state.put("state", refused.containsKey(source) ? "needs-reauthorization" : "ok");
                        state.put("reason", refused.get(source));
                    }
                    return state;
                }).orElse(null));
                if (perConnection) {
                    view.put("connections", connectionCounts.get(source));
                } else if (config.sources().get(source).api().isPresent()) {
                    // This replica's view: each replica keeps its own breaker per source.
                    view.put("circuit", client.circuit(Connection.implicit(source)));
                    // This replica's limiter: the pace of its calls, whether the provider's headers set it, any pause.
                    view.put("rateLimit", client.rateLimit(Connection.implicit(source)).orElse(null));
                }
                view.put("resources", list);
                sources.add(view);
            });
            return Map.<String, Object>of("sources", sources);
        })));
    }

    /** A resource of a source with connections: polled per connection, its state in each connection's view. */
    private static Map<String, Object> perConnection(String source, String resource, TidemarkConfig.Resource r,
            TidemarkConfig.Source settings) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("source", source);
        view.put("resource", resource);
        view.put("polled", settings.api().isPresent() && r.list().isPresent());
        view.put("perConnection", true);
        view.put("schedule", r.schedule().map(Duration::toString).orElse(null));
        return view;
    }

    /** How many connections the source has, by state, and where to page through them. */
    private Uni<Map<String, Object>> connectionCounts(String source) {
        return connections.countByState(source).map(byState -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("total", byState.values().stream().mapToLong(Long::longValue).sum());
            for (ConnectionState state : ConnectionState.values()) {
                view.put(state.configName(), byState.getOrDefault(state, 0L));
            }
            view.put("href", "/api/sources/" + source + "/connections");
            return view;
        });
    }

    private Uni<Map<String, Object>> describe(SyncTarget target, TidemarkConfig.Resource resource, boolean api) {
        boolean polled = api && resource.list().isPresent();
        if (!polled) {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("source", target.source());
            view.put("resource", target.resource());
            view.put("polled", false);
            return Uni.createFrom().item(view);
        }
        if (resource.parent().isPresent()) {
            return checkpoints.parentCheckpoints(target).chain(parents -> runs.runs(target.source(), target.connection().id(), target.resource(), 1).map(runs -> {
                Map<String, Object> view = polledView(target, resource, runs);
                // One checkpoint per parent: how many parents have one, how many of their walks completed.
                Map<String, Object> nested = new LinkedHashMap<>();
                nested.put("resource", resource.parent().get().resource());
                nested.put("withCheckpoint", parents.parents());
                nested.put("completed", parents.completed());
                nested.put("oldestCheckpointAt", parents.oldestSavedAt());
                view.put("parents", nested);
                return view;
            }));
        }
        return checkpoints.checkpoint(target).chain(checkpoint -> runs.runs(target.source(), target.connection().id(), target.resource(), 1).map(runs -> {
            Map<String, Object> view = polledView(target, resource, runs);
            view.put("checkpoint", checkpoint.map(SyncResource::checkpoint).orElse(null));
            view.put("lagSeconds", checkpoint.map(Checkpoint::position).map(p -> p.updatedAt())
                    .map(at -> Math.max(0, Duration.between(at, Instant.now()).toSeconds())).orElse(null));
            return view;
        }));
    }

    private static Map<String, Object> polledView(SyncTarget target, TidemarkConfig.Resource resource, List<SyncRun> runs) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("source", target.source());
        view.put("resource", target.resource());
        view.put("polled", true);
        view.put("schedule", resource.schedule().map(Duration::toString).orElse(null));
        Optional<SyncRun> last = runs.stream().findFirst();
        view.put("lastRun", last.orElse(null));
        view.put("health", health(last));
        return view;
    }

    /** A resource's health by its last run: ok, rate-limited, failing or never-run. */
    static String health(Optional<SyncRun> last) {
        return last.map(run -> ConfigKind.named(RunStatus.class, run.status()).map(status -> switch (status) {
            case COMPLETED, RUNNING -> "ok";
            case PARTIAL -> "rate-limited";
            case FAILED -> "failing";
        }).orElse("failing")).orElse("never-run");
    }

    static Map<String, Object> checkpoint(Checkpoint checkpoint) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("mode", checkpoint.mode().configName());
        view.put("status", checkpoint.status().configName());
        view.put("runId", checkpoint.runId());
        view.put("updatedAt", checkpoint.position().updatedAt());
        view.put("id", checkpoint.position().id());
        view.put("savedAt", checkpoint.savedAt());
        return view;
    }

    private Optional<Response> pollable(String source, String resource) {
        TidemarkConfig.Source settings = config.sources().get(source);
        if (settings == null) {
            return Optional.of(Problem.response(Response.Status.NOT_FOUND, "no source " + source));
        }
        TidemarkConfig.Resource r = settings.resources().get(resource);
        if (r == null) {
            return Optional.of(Problem.response(Response.Status.NOT_FOUND, "source " + source + " has no resource " + resource));
        }
        if (settings.api().isEmpty() || r.list().isEmpty()) {
            return Optional.of(Problem.response(Response.Status.CONFLICT, source + "/" + resource
                    + " is not polled: it needs tidemark.sources." + source + ".api.base-url and tidemark.sources." + source
                    + ".resources." + resource + ".list"));
        }
        if (settings.connections().isPresent()) {
            return Optional.of(Problem.response(Response.Status.CONFLICT, "source " + source + " serves connections and has no "
                    + "account of its own: sync one connection's resource, POST /api/sources/" + source + "/connections/{id}/resources/"
                    + resource + "/sync"));
        }
        return Optional.empty();
    }
}
