package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import dev.tidemark.metrics.Metric;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.change.JsonPointers;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionVariables;
import dev.tidemark.cel.CelPredicate;
import dev.tidemark.rules.RulePredicate;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;
import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.kafka.common.errors.RecordTooLargeException;

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
 * A refetch that fails for a reason that can pass is kept in the database
 * ({@link RefetchQueue}) and tried again with back-off, so neither a provider
 * outage nor a spent quota loses it, and it holds up no other request.
 */
@ApplicationScoped
public class RefetchConsumer {

    private static final Logger LOG = Logger.getLogger(RefetchConsumer.class);
    public static final String CHANNEL = "refetch-in";
    /** Older requests are left to the polls and sweeps (a first start would otherwise replay the whole topic's). */
    static final Duration MAX_AGE = Duration.ofHours(24);
    /** A failed refetch is tried again after this, then twice as long each time, up to {@link #RETRY_MAX}. */
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration RETRY_MAX = Duration.ofMinutes(5);
    static final Backoff RETRY_BACKOFF = new Backoff(FIRST_RETRY, RETRY_MAX, Integer.MAX_VALUE);
    static final Duration RETRY_EVERY = Duration.ofSeconds(1);
    /** Longer than a provider's read-after-write lag: a 404 this long after the request means the record went. */
    static final Duration READ_LAG = Duration.ofMinutes(5);
    /** A request still failing this long after it was made is given up. */
    static final Duration QUEUE_MAX_AGE = Duration.ofDays(7);

    private final TidemarkConfig config;
    private final ProviderClient client;
    private final Accounts accounts;
    private final ChangePublisher changes;
    private final ObjectMapper json;
    /** Each fetch-gone-when compiled once, by its text. */
    private final Map<String, RulePredicate> goneWhen = new ConcurrentHashMap<>();
    private final MeterRegistry metrics;
    private final InstantSource clock = InstantSource.system();
    private final Map<String, Instant> servedAt = new ConcurrentHashMap<>();
    private final RefetchQueue queue;
    private final Vertx vertx;
    private final AtomicBoolean retrying = new AtomicBoolean();
    private final AtomicLong pending = new AtomicLong();
    private Long timer;
    private Long forgetting;
    /** How often deliveries older than the replay window are removed. */
    static final Duration FORGET_EVERY = Duration.ofMinutes(1);

    public RefetchConsumer(TidemarkConfig config, ProviderClient client, Accounts accounts, ChangePublisher changes, ObjectMapper json,
            MeterRegistry metrics, RefetchQueue queue, Vertx vertx) {
        this.config = config;
        this.client = client;
        this.accounts = accounts;
        this.changes = changes;
        this.json = json;
        this.metrics = metrics;
        this.queue = queue;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent started) {
        if (!Roles.POLLER.runsIn(config)) {
            return;
        }
        metrics.gauge(Metric.POLLER_REFETCHES_PENDING, pending);
        timer = vertx.setPeriodic(RETRY_EVERY.toMillis(), id -> retryDue());
        forgetting = vertx.setPeriodic(FORGET_EVERY.toMillis(), id -> queue.forgetDeliveries(config.poller().refetchReplayWindow())
                .subscribe().with(ignored -> { }, failure -> LOG.debugf("old refetch deliveries not removed: %s", failure.toString())));
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
        if (forgetting != null) {
            vertx.cancelTimer(forgetting);
        }
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(String value) {
        ChangeEnvelope change;
        try {
            change = json.readValue(value, ChangeEnvelope.class);
        } catch (Exception e) {
            return Uni.createFrom().voidItem();   // the processor dead-letters what cannot be read
        }
        if (change.op() != Op.REFETCH || change.unrouted()) {
            // A refetch naming its account by a routing key is the processor's to route first: it puts the
            // routed request back on the topic (or dead-letters it for want of a connection).
            return Uni.createFrom().voidItem();
        }
        return serve(change);
    }

    /**
     * A request from the topic. A failure that can pass (see {@link #canPass})
     * keeps the request in {@link RefetchQueue} before its offset is
     * committed; one that cannot is counted and logged.
     */
    Uni<Void> serve(ChangeEnvelope received) {
        ChangeEnvelope request = received.observedAt() != null ? received : new ChangeEnvelope(received.source(),
                received.resource(), received.id(), received.op(), received.updatedAt(), null, received.origin(),
                received.deliveryId(), clock.instant(), received.replayKey(), received.connection());
        if (request.observedAt().isBefore(clock.instant().minus(MAX_AGE))) {
            return count(request, "too-old");
        }
        if (request.origin() != Origin.WEBHOOK || RefetchQueue.replayKey(request) == null) {
            return serveFirst(request);
        }
        // A replayed webhook (a captured delivery sent again) costs no call now: its first one was served. It is
        // kept to be served once the window is over (one row per record, however many replays fold in), so a
        // provider that sends one identical body for two real changes loses nothing, and a flood of replays costs
        // at most one call per record and window. Requests of one record come in order on one partition, so a
        // burst of replays sees the first one remembered.
        Duration window = config.poller().refetchReplayWindow();
        return queue.servedDelivery(request, window)
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .chain(served -> served
                        ? queue.defer(request, window, RefetchQueue.REPLAYED)
                                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                                .chain(() -> count(request, "replayed"))
                        : serveFirst(request).call(() -> queue.rememberDelivery(request)
                                .onFailure().invoke(failure -> LOG.debugf("refetch delivery not remembered: %s", failure.toString()))
                                .onFailure().recoverWithNull()));
    }

    private Uni<Void> serveFirst(ChangeEnvelope request) {
        return attempt(request)
                .onFailure(RefetchConsumer::canPass).recoverWithUni(failure -> {
                    LOG.warnf("refetch of %s/%s/%s failed: %s; kept to be tried again", request.source(), request.resource(),
                            request.id(), failure.getMessage());
                    // The database away too: wait for it, the request's offset must not pass without the request kept.
                    return queue.defer(request, FIRST_RETRY, describe(failure))
                            .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                            .chain(() -> count(request, "deferred"));
                })
                .onFailure().recoverWithUni(failure -> failedForGood(request, failure));
    }

    /**
     * Every {@link #RETRY_EVERY}: the queue's requests whose time has come,
     * one after another. Answered or refused for good, a request leaves the
     * queue; failing again, it waits twice as long as before (at most
     * {@link #RETRY_MAX}); after {@link #QUEUE_MAX_AGE} it is given up, with a
     * warning (the polls and sweeps still bring what it asked for, where the
     * resource has them).
     */
    void retryDue() {
        if (!retrying.compareAndSet(false, true)) {
            return;
        }
        // A few at a time: each attempt may wait for the provider (retries, its quota), and the rows must
        // be done well inside their lease, or another replica would claim them again.
        queue.claim(5)
                .onItem().transformToMulti(due -> Multi.createFrom().iterable(due))
                .onItem().transformToUniAndConcatenate(this::retry)
                .collect().last()
                .chain(() -> queue.size()).invoke(pending::set)
                .eventually(() -> retrying.set(false))
                .subscribe().with(ignored -> { }, failure -> LOG.debugf("refetch retries not read: %s", failure.toString()));
    }

    private Uni<Void> retry(RefetchQueue.Pending due) {
        ChangeEnvelope request = due.request();
        if (request.observedAt().isBefore(clock.instant().minus(QUEUE_MAX_AGE))) {
            LOG.warnf("refetch of %s/%s/%s given up after %d attempts over %s", request.source(), request.resource(),
                    request.id(), due.attempts() - 1, QUEUE_MAX_AGE);
            return count(request, "given-up").chain(() -> queue.done(request));
        }
        return attempt(request)
                .chain(() -> queue.done(request))
                .onFailure(RefetchConsumer::canPass).recoverWithUni(failure -> {
                    Duration wait = backoff(due.attempts());
                    LOG.debugf("refetch of %s/%s/%s failed again (%s); next in %s", request.source(), request.resource(),
                            request.id(), failure.getMessage(), wait);
                    return queue.again(request, wait, describe(failure)).chain(() -> count(request, "failed-again"));
                })
                .onFailure(failure -> !canPass(failure)).recoverWithUni(failure -> failedForGood(request, failure)
                        .chain(() -> queue.done(request)))
                // The database away: the row stays claimed until its lease ends, then it is tried again.
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** The wait after a request's {@code attempts}-th failure: the step of {@link Backoff}, without its jitter. */
    static Duration backoff(int attempts) {
        return RETRY_BACKOFF.delay(Math.max(attempts, 1), () -> 1.0);
    }

    /**
     * A failure that can pass: the provider out of quota, failing (5xx, a
     * timeout, no connection), its circuit open, asking for credentials (401,
     * 403: a token can be renewed or a grant configured), or Kafka away. Not:
     * another 4xx, an answer that is not the record or is over max-response-size, or one too large for Kafka.
     */
    static boolean canPass(Throwable failure) {
        if (failure instanceof BoundedExchange.TooLargeException) {
            return false;
        }
        if (failure instanceof ProviderCallException call) {
            return call.mayPass();
        }
        return !(failure instanceof MalformedPageException || failure instanceof IllegalArgumentException
                || failure instanceof RecordTooLargeException
                || failure instanceof JsonProcessingException);
    }

    private Uni<Void> failedForGood(ChangeEnvelope request, Throwable failure) {
        LOG.warnf("refetch of %s/%s/%s failed: %s; not tried again (the next poll or sweep brings the record)",
                request.source(), request.resource(), request.id(), failure.getMessage());
        return count(request, "failed");
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return message.length() > 500 ? message.substring(0, 500) : message;
    }

    /**
     * One attempt at a request: answered already by a later read, or read
     * from the provider and put on the topic; a failure fails the Uni. The
     * outcomes other than a failure are counted here.
     */
    Uni<Void> attempt(ChangeEnvelope request) {
        String key = request.key().kafkaKey();
        Instant asked = request.observedAt();
        Instant served = servedAt.get(key);
        if (served != null && !served.isBefore(asked)) {
            return count(request, "answered-already");
        }
        TidemarkConfig.Source source = config.sources().get(request.source());
        TidemarkConfig.Resource resource = source == null ? null : source.resources().get(request.resource());
        if (resource == null || source.api().isEmpty() || resource.fetch().isEmpty()) {
            LOG.warnf("refetch of %s/%s/%s: the resource has no single-record endpoint (api.base-url and fetch); "
                    + "the next poll or sweep brings the record", request.source(), request.resource(), request.id());
            return count(request, "no-endpoint");
        }
        return accounts.of(request.owner())
                .onFailure(Accounts.Unavailable.class).recoverWithItem(failure -> {
                    // Not lost: the next poll of the connection once it is active again brings the record.
                    LOG.warnf("refetch of %s/%s/%s not made: %s", request.owner(), request.resource(), request.id(), failure.getMessage());
                    return null;
                })
                .chain(account -> account == null ? count(request, "connection-unavailable")
                        : fetch(account, request, source, resource, key));
    }

    private Uni<Void> fetch(Account account, ChangeEnvelope request, TidemarkConfig.Source source, TidemarkConfig.Resource resource,
            String key) {
        String template = ConnectionVariables.fill(resource.fetch().get(), account.variables());
        String path;
        if (resource.parent().isPresent()) {
            // A nested record's id carries its ancestors' ids: the fetch path names them, and {id} is its own.
            try {
                path = NestedIds.fill(template, NestedIds.ancestors(source, request.resource()), request.id(), true);
            } catch (IllegalArgumentException e) {
                LOG.warnf("refetch of %s/%s/%s: not an id of this nested resource (%s)", request.source(), request.resource(),
                        request.id(), e.getMessage());
                return count(request, "bad-id");
            }
        } else {
            path = template.replace("{id}", PageRequest.segment(request.id()));
        }
        URI uri = PageRequest.path(path, Map.of()).resolve(account.baseUrl());
        Instant reading = clock.instant();
        CallStats stats = new CallStats();
        return client.get(account, request.resource(), uri, stats)
                .map(response -> Optional.of(response))
                .onFailure(ProviderCallException.class).recoverWithUni(failure -> gone(failure)
                        ? Uni.createFrom().item(Optional.<ProviderResponse>empty())
                        : Uni.createFrom().failure(failure))
                .chain(response -> {
                    // Gone: a delete at the request's own time, not at our clock's. A record the provider cannot
                    // read yet (read-after-write lag) or whose clock runs behind ours must not get a tombstone
                    // newer than its real updated_at: a later poll of it, at that updated_at, must restore it.
                    // A request answered long after it was made (kept and tried again) is no lag any more:
                    // the record went since, after any state a poll may have stored meanwhile.
                    boolean late = request.observedAt().plus(READ_LAG).isBefore(reading);
                    Instant deletedAt = late || reading.isBefore(request.updatedAt()) ? reading : request.updatedAt();
                    JsonNode record = response.map(answer -> record(resource, answer.body())).orElse(null);
                    boolean gone = record == null || goneWhen(resource, record) || another(request, resource, record);
                    ChangeEnvelope answer = gone
                            ? ChangeEnvelope.of(request.owner(), request.resource(), request.id(), Op.DELETE,
                                    Timestamps.micros(deletedAt), null, Origin.POLL, "refetch", reading)
                            : upsert(request, resource, record, reading);
                    return changes.publish(answer).invoke(() -> remember(key, reading))
                            .chain(() -> count(request, gone ? "gone" : "fetched"));
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

    private JsonNode record(TidemarkConfig.Resource resource, String body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (Exception e) {
            throw new MalformedPageException("the single-record answer is not JSON");
        }
        JsonNode record = root == null ? null
                : resource.fetchRecord().filter(p -> !p.isEmpty()).map(p -> root.at(JsonPointers.compile(p))).orElse(root);
        if (record == null || !record.isObject()) {
            // An empty answer, null, or a pointer that misses is no record: never stored as one.
            throw new MalformedPageException("the single-record answer has no record (an object)"
                    + resource.fetchRecord().map(p -> " at " + p).orElse(""));
        }
        return record;
    }

    /**
     * Whether the provider answered with another record than the one asked for: an id it merged into another answers
     * with the survivor (HubSpot), which is stored under its own id, never under the one asked for. Nested records
     * carry their ancestors' ids here and their own in the answer: not compared. Nor where the resource's id pointer
     * may not be the id its records are kept by: a resource only fetched, whose webhook names records by another
     * field (webhook.id), has never had that pointer checked against a listed record.
     */
    private static boolean another(ChangeEnvelope request, TidemarkConfig.Resource resource, JsonNode record) {
        boolean webhookNamesById = resource.webhook().flatMap(TidemarkConfig.ResourceWebhook::id).isPresent();
        if (resource.parent().isPresent() || (resource.list().isEmpty() && webhookNamesById)) {
            return false;
        }
        return JsonPointers.idText(record.at(JsonPointers.compile(resource.id()))).filter(id -> !id.equals(request.id())).isPresent();
    }

    /** Whether fetch-gone-when says the answer is the provider's marker of a deleted record; one it cannot be evaluated on is no record. */
    private boolean goneWhen(TidemarkConfig.Resource resource, JsonNode record) {
        if (resource.fetchGoneWhen().isEmpty()) {
            return false;
        }
        RulePredicate predicate = goneWhen.computeIfAbsent(resource.fetchGoneWhen().get(), RulePredicate::compile);
        CelPredicate.Outcome outcome = predicate.test(record);
        if (outcome == CelPredicate.Outcome.ERROR) {
            throw new MalformedPageException("fetch-gone-when cannot be evaluated on the single-record answer");
        }
        return outcome.holds();
    }

    private ChangeEnvelope upsert(ChangeEnvelope request, TidemarkConfig.Resource resource, JsonNode record, Instant reading) {
        Instant at;
        if (ChangeDetection.of(resource) == ChangeDetection.HASH) {
            at = Timestamps.micros(reading);   // no updated_at: stamped with the time it was read, as polls do
        } else {
            JsonPointer updatedAt = JsonPointers.compile(resource.updatedAt());
            at = Timestamps.parse(record.at(updatedAt))
                    .orElseThrow(() -> new MalformedPageException("the single-record answer has no updated_at at " + updatedAt));
        }
        return ChangeEnvelope.of(request.owner(), request.resource(), request.id(), Op.UPSERT, at, record, Origin.POLL,
                "refetch", reading);
    }

    private static boolean gone(ProviderCallException failure) {
        return failure.status() == 404 || failure.status() == 410;
    }

    private Uni<Void> count(ChangeEnvelope request, String outcome) {
        metrics.counter(Metric.POLLER_REFETCHES, "source", request.source(), "resource", request.resource(), "outcome", outcome)
                .increment();
        return Uni.createFrom().voidItem();
    }
}
