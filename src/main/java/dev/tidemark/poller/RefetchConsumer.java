package dev.tidemark.poller;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.config.JsonPointers;
import dev.tidemark.config.TidemarkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Serves {@code op: refetch} changes — thin webhooks that carry only an id,
 * and the processor's ordering conflicts — by reading the record from the
 * resource's single-record endpoint and putting what the provider holds now
 * on {@code tidemark.changes} (origin poll, so the processor applies it even
 * on a tie). A 404 or 410 is the provider saying the record is gone: a delete,
 * timestamped with the request's updated_at (or when it was read, if that is
 * earlier), so that a later read of the record at its own updated_at restores
 * it. A record read after a request was made
 * answers every earlier request for it, so a burst of them costs one call.
 */
@ApplicationScoped
public class RefetchConsumer {

    private static final Logger LOG = Logger.getLogger(RefetchConsumer.class);
    public static final String CHANNEL = "refetch-in";
    /** Older requests are left to the polls and sweeps (a first start would otherwise replay the whole topic's). */
    static final Duration MAX_AGE = Duration.ofHours(24);

    private final TidemarkConfig config;
    private final ProviderClient client;
    private final ChangePublisher changes;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final InstantSource clock = InstantSource.system();
    private final Map<String, Instant> servedAt = new ConcurrentHashMap<>();

    public RefetchConsumer(TidemarkConfig config, ProviderClient client, ChangePublisher changes, ObjectMapper json,
            MeterRegistry metrics) {
        this.config = config;
        this.client = client;
        this.changes = changes;
        this.json = json;
        this.metrics = metrics;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(String value) {
        ChangeEnvelope change;
        try {
            change = json.readValue(value, ChangeEnvelope.class);
        } catch (Exception e) {
            return Uni.createFrom().voidItem();   // the processor dead-letters what cannot be read
        }
        if (change.op() != Op.REFETCH) {
            return Uni.createFrom().voidItem();
        }
        return serve(change);
    }

    Uni<Void> serve(ChangeEnvelope request) {
        String key = request.key().kafkaKey();
        Instant asked = request.observedAt() == null ? clock.instant() : request.observedAt();
        Instant served = servedAt.get(key);
        if (served != null && !served.isBefore(asked)) {
            return count(request, "answered-already");
        }
        if (asked.isBefore(clock.instant().minus(MAX_AGE))) {
            return count(request, "too-old");
        }
        TidemarkConfig.Source source = config.sources().get(request.source());
        TidemarkConfig.Resource resource = source == null ? null : source.resources().get(request.resource());
        if (resource == null || source.api().isEmpty() || resource.fetch().isEmpty()) {
            LOG.warnf("refetch of %s/%s/%s: the resource has no single-record endpoint (api.base-url and fetch); "
                    + "the next poll or sweep brings the record", request.source(), request.resource(), request.id());
            return count(request, "no-endpoint");
        }
        String path;
        if (resource.parent().isPresent()) {
            // A nested record's id carries its ancestors' ids: the fetch path names them, and {id} is its own.
            try {
                path = NestedIds.fill(resource.fetch().get(), NestedIds.ancestors(source, request.resource()), request.id(), true);
            } catch (IllegalArgumentException e) {
                LOG.warnf("refetch of %s/%s/%s: not an id of this nested resource (%s)", request.source(), request.resource(),
                        request.id(), e.getMessage());
                return count(request, "bad-id");
            }
        } else {
            path = resource.fetch().get().replace("{id}", PageRequest.encode(request.id()));
        }
        URI uri = PageRequest.path(path, Map.of()).resolve(URI.create(source.api().get().baseUrl()));
        Instant reading = clock.instant();
        CallStats stats = new CallStats();
        return client.get(request.source(), request.resource(), uri, stats)
                .map(response -> Optional.of(response))
                .onFailure(ProviderCallException.class).recoverWithUni(failure -> gone(failure)
                        ? Uni.createFrom().item(Optional.<ProviderResponse>empty())
                        : Uni.createFrom().failure(failure))
                .chain(response -> {
                    // Gone: a delete at the request's own time, not at our clock's. A record the provider cannot
                    // read yet (read-after-write lag) or whose clock runs behind ours must not get a tombstone
                    // newer than its real updated_at: a later poll of it, at that updated_at, must restore it.
                    Instant deletedAt = request.updatedAt().isBefore(reading) ? request.updatedAt() : reading;
                    ChangeEnvelope answer = response.isEmpty()
                            ? new ChangeEnvelope(request.source(), request.resource(), request.id(), Op.DELETE,
                                    dev.tidemark.change.Timestamps.micros(deletedAt), null, Origin.POLL, "refetch", reading)
                            : record(request, resource, response.get().body(), reading);
                    return changes.publish(answer).invoke(() -> remember(key, reading))
                            .chain(() -> count(request, response.isEmpty() ? "gone" : "fetched"));
                })
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("refetch of %s/%s/%s failed: %s; the next poll or sweep brings the record",
                            request.source(), request.resource(), request.id(), failure.getMessage());
                    return count(request, "failed");
                });
    }

    /** Kept for a minute: long enough to answer a burst with one call, short enough that the map stays small. */
    private void remember(String key, Instant reading) {
        servedAt.put(key, reading);
        if (servedAt.size() > 10_000) {
            Instant old = clock.instant().minus(Duration.ofMinutes(1));
            servedAt.values().removeIf(at -> at.isBefore(old));
        }
    }

    private ChangeEnvelope record(ChangeEnvelope request, TidemarkConfig.Resource resource, String body, Instant reading) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (Exception e) {
            throw new MalformedPageException("the single-record answer is not JSON");
        }
        JsonNode record = resource.fetchRecord().filter(p -> !p.isEmpty()).map(p -> root.at(JsonPointers.compile(p))).orElse(root);
        Instant at;
        if ("hash".equals(resource.changeDetection())) {
            at = Timestamps.micros(reading);   // no updated_at: stamped with the time it was read, as polls do
        } else {
            JsonPointer updatedAt = JsonPointers.compile(resource.updatedAt());
            at = Timestamps.parse(record.at(updatedAt))
                    .orElseThrow(() -> new MalformedPageException("the single-record answer has no updated_at at " + updatedAt));
        }
        return new ChangeEnvelope(request.source(), request.resource(), request.id(), Op.UPSERT, at, record, Origin.POLL,
                "refetch", reading);
    }

    private static boolean gone(ProviderCallException failure) {
        return failure.status() == 404 || failure.status() == 410;
    }

    private Uni<Void> count(ChangeEnvelope request, String outcome) {
        metrics.counter("tidemark.poller.refetches", "source", request.source(), "resource", request.resource(), "outcome", outcome)
                .increment();
        return Uni.createFrom().voidItem();
    }
}
