package dev.tidemark.receiver;

import dev.tidemark.metrics.Metric;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.http.LogBudget;
import dev.tidemark.http.Problem;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Connection;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.receiver.signature.Hmac;
import dev.tidemark.receiver.signature.SignatureScheme;
import dev.tidemark.receiver.signature.SignedRequest;
import dev.tidemark.receiver.signature.Verification;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tidemark.change.Causes;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.RecordTooLargeException;

/**
 * {@code POST /webhooks/{source}}: verify, map, hand to Kafka, and only then
 * answer 2xx (docs/architecture.md, invariant 1). Every status is a promise to the
 * provider; the README's "Webhooks" has the table this implements.
 */
@Path("/webhooks/{source}")
public class WebhookResource {

    private static final Logger LOG = Logger.getLogger(WebhookResource.class);
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

    /** A connection's id, as the API allows it: anything else is no connection. */
    private static final Pattern CONNECTION_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final WebhookSources sources;
    private final ConnectionDirectory directory;
    private final ChangePublisher publisher;
    private final ObjectMapper json;
    private final TidemarkConfig config;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final boolean receiving;
    /** Rejections are driven by whoever reaches the port: a few lines a second, the rest counted only. */
    private final LogBudget rejections = LogBudget.WEBHOOKS;

    public WebhookResource(WebhookSources sources, ConnectionDirectory directory, ChangePublisher publisher, ObjectMapper json,
            TidemarkConfig config, Clock clock, MeterRegistry metrics) {
        this.sources = sources;
        this.directory = directory;
        this.publisher = publisher;
        this.json = json;
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        this.receiving = Roles.RECEIVER.runsIn(config);
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    public Uni<Response> receive(@PathParam("source") String sourceName, HttpHeaders headers, UriInfo uri, byte[] body) {
        return receive(sourceName, null, headers, calledAt(uri), body);
    }

    /**
     * {@code POST /webhooks/{source}/{connection}}: a delivery for one connection of a source whose webhooks are
     * routed by URL, verified with that connection's own secrets when it has them (docs/connections.md).
     */
    @POST
    @Path("/{connection}")
    @Consumes(MediaType.WILDCARD)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    public Uni<Response> receiveFor(@PathParam("source") String sourceName, @PathParam("connection") String connectionId,
            HttpHeaders headers, UriInfo uri, byte[] body) {
        return receive(sourceName, connectionId, headers, calledAt(uri), body);
    }

    /**
     * The URL the provider called, as a scheme signing it ({url}) saw it: tidemark.receiver.public-url (the origin in
     * front of any proxy) with the request's path and query, or the request's own.
     */
    private String calledAt(UriInfo uri) {
        try {
            java.net.URI request = uri.getRequestUri();
            return config.receiver().publicUrl().map(origin -> origin.replaceAll("/+$", "") + request.getRawPath()
                    + (request.getRawQuery() == null ? "" : "?" + request.getRawQuery())).orElse(request.toString());
        } catch (RuntimeException e) {
            // A request target the URI parser refuses (a query with a bare %): no URL, so no signature over one matches.
            return "";
        }
    }

    private Uni<Response> receive(String sourceName, String connectionId, HttpHeaders headers, String url, byte[] body) {
        Instant now = Instant.now(clock);
        if (!receiving) {
            return Uni.createFrom().item(Problem.response(Response.Status.NOT_FOUND,
                    "This replica does not receive webhooks (tidemark.roles)"));
        }
        var found = sources.get(sourceName);
        if (found.isEmpty()) {
            return Uni.createFrom().item(reject("unknown", "not_found", "unknown_source", null,
                    Problem.response(Response.Status.NOT_FOUND, "No source named '" + sourceName + "' receives webhooks")));
        }
        WebhookSources.WebhookSource source = found.get();
        boolean byUrl = source.routing().orElse(null) == WebhookRouting.URL;
        if (connectionId == null) {
            if (byUrl) {
                return Uni.createFrom().item(reject(sourceName, "not_found", "connection_required", null,
                        Problem.response(Response.Status.NOT_FOUND, "Source '" + sourceName + "' routes webhooks by URL: post to "
                                + "/webhooks/" + sourceName + "/{connection}")));
            }
            return receive(source, source.scheme(), null, headers, url, body, now);
        }
        if (!byUrl) {
            return Uni.createFrom().item(reject(sourceName, "not_found", "not_routed_by_url", null,
                    Problem.response(Response.Status.NOT_FOUND, "Source '" + sourceName + "' does not route webhooks by URL: post to /webhooks/"
                            + sourceName)));
        }
        if (!CONNECTION_ID.matcher(connectionId).matches() || connectionId.matches("\\.+")) {
            return Uni.createFrom().item(unknownConnection(source, connectionId, headers, url, body, now));
        }
        return directory.lookup(new Connection(sourceName, connectionId), source)
                .ifNoItem().after(config.receiver().ackTimeout()).fail()
                .onFailure().recoverWithItem(failure -> null)
                .chain(route -> {
                    if (route == null) {
                        return Uni.createFrom().item(reject(sourceName, "unavailable", "connection_lookup", null,
                                Response.fromResponse(Problem.response(Response.Status.SERVICE_UNAVAILABLE,
                                                "The connection could not be looked up; retry later"))
                                        .header(HttpHeaders.RETRY_AFTER, config.receiver().retryAfterSeconds()).build()));
                    }
                    return route.isEmpty() ? Uni.createFrom().item(unknownConnection(source, connectionId, headers, url, body, now))
                            : receive(source, route.get().scheme(), connectionId, headers, url, body, now);
                });
    }

    /**
     * A delivery posted for a connection the source does not have: 404 only to a sender that proves it holds the
     * source's secret (the provider, whose connection is not created yet), else the same 401 as a bad signature,
     * so an unsigned request cannot learn which connections exist.
     */
    private Response unknownConnection(WebhookSources.WebhookSource source, String connectionId, HttpHeaders headers, String url,
            byte[] body, Instant now) {
        SignedRequest signed = new SignedRequest(body == null ? new byte[0] : body, headers::getHeaderString, url);
        Verification verification = source.scheme().verify(signed, now);
        if (!verification.valid()) {
            metrics.counter(Metric.WEBHOOK_VERIFICATION_FAILURES, "source", source.name(), "reason", verification.reason()).increment();
            return reject(source.name(), "unauthorized", verification.reason(), null,
                    Problem.response(Response.Status.UNAUTHORIZED, "Signature verification failed: " + verification.reason()));
        }
        return reject(source.name(), "not_found", "unknown_connection", null, Problem.response(Response.Status.NOT_FOUND,
                "No connection '" + printable(connectionId) + "' of source '" + source.name() + "'"));
    }

    /**
     * Verifies with {@code scheme}, maps, and puts the changes on Kafka: for {@code connectionId}'s records when
     * the delivery was posted to its URL, else each naming its account by the source's routing (pointer or
     * header) for the processor to resolve, else the source's implicit connection's.
     */
    private Uni<Response> receive(WebhookSources.WebhookSource source, SignatureScheme scheme, String connectionId,
            HttpHeaders headers, String url, byte[] body, Instant now) {
        String sourceName = source.name();
        byte[] payload = body == null ? new byte[0] : body;
        SignedRequest signed = new SignedRequest(payload, headers::getHeaderString, url);
        String deliveryId = scheme.deliveryId(signed)
                .or(() -> source.config().deliveryIdHeader().map(headers::getHeaderString))
                .filter(id -> !id.isBlank())
                .map(WebhookResource::printable)
                .orElseGet(() -> "sha256:" + HexFormat.of().formatHex(sha256(payload)).substring(0, 32));

        // Read by hand: JAX-RS's getMediaType() throws on an empty or malformed header (a 500 for bad input).
        String mediaType = mediaType(headers.getRequestHeader(HttpHeaders.CONTENT_TYPE)).orElse("(malformed or repeated)");
        if (!scheme.accepts(mediaType)) {
            return Uni.createFrom().item(reject(sourceName, "unsupported_type", "media_type", deliveryId,
                    Problem.response(Response.Status.UNSUPPORTED_MEDIA_TYPE,
                            "Content-Type '" + printable(mediaType) + "' is not accepted by this source's signature scheme")));
        }
        Verification verification = scheme.verify(signed, now);
        if (!verification.valid()) {
            metrics.counter(Metric.WEBHOOK_VERIFICATION_FAILURES, "source", sourceName, "reason", verification.reason()).increment();
            return Uni.createFrom().item(reject(sourceName, "unauthorized", verification.reason(), deliveryId,
                    Problem.response(Response.Status.UNAUTHORIZED, "Signature verification failed: " + verification.reason())));
        }
        JsonNode parsed = DeliveryBody.parse(mediaType, payload, json).orElse(null);
        if (parsed == null) {
            return Uni.createFrom().item(reject(sourceName, "bad_request", "not_json", deliveryId,
                    Problem.response(Response.Status.BAD_REQUEST, "body: not a JSON document")));
        }
        MappingResult result = source.mapper().map(parsed, byLowerCaseName(headers), deliveryId, now);
        if (result instanceof MappingResult.Invalid invalid) {
            return Uni.createFrom().item(reject(sourceName, "bad_request", "invalid_field", deliveryId,
                    Problem.response(Response.Status.BAD_REQUEST, invalid.field() + ": " + invalid.detail())));
        }
        if (result instanceof MappingResult.Answer answer) {
            count(sourceName, "challenge");
            return Uni.createFrom().item(Response.ok(answer.text(), MediaType.TEXT_PLAIN).build());
        }
        if (result instanceof MappingResult.Ignored ignored) {
            count(sourceName, "ignored");
            return Uni.createFrom().item(Response.ok(Map.of("ignored", ignored.reason()), MediaType.APPLICATION_JSON).build());
        }
        // A refetch costs a provider call (a thin event; an upsert the processor finds in conflict asks for one):
        // each change carries what only a replay of this delivery repeats (the scheme's signed id, else the hash of
        // the signed timestamp and body), so the poller serves its refetch once a window however often, and under
        // whatever unsigned id, it is replayed.
        String replayKey = scheme.signsDeliveryId() ? scheme.deliveryId(signed).filter(id -> !id.isBlank())
                .map(id -> "id:" + printable(id)).orElse(null) : null;
        String signedTime = scheme.signedTimestamp(signed).orElse("");
        String key = replayKey != null ? replayKey
                : "sha256:" + HexFormat.of().formatHex(sha256(Hmac.concat(Hmac.utf8(signedTime + "\n"), payload)));
        List<ChangeEnvelope> mapped = ((MappingResult.Changes) result).changes().stream()
                .map(change -> change.withReplayKey(key)).toList();
        if (connectionId != null) {
            mapped = mapped.stream().map(change -> change.withConnection(connectionId)).toList();
        } else if (source.routing().orElse(null) == WebhookRouting.HEADER) {
            String header = source.routingHeader().orElseThrow();
            String account = headers.getHeaderString(header);
            if (account == null || account.isBlank() || account.length() > 512 || account.indexOf('\u0000') >= 0) {
                return Uni.createFrom().item(reject(sourceName, "bad_request", "no_routing_key", deliveryId,
                        Problem.response(Response.Status.BAD_REQUEST, header + ": the delivery's account is missing "
                                + "(or longer than 512 characters)")));
            }
            mapped = mapped.stream().map(change -> change.withRoutingKey(account.trim())).toList();
        }
        List<ChangeEnvelope> changes = mapped;
        if (changes.size() > config.receiver().maxChangesPerDelivery()) {
            // Refused before any is sent: a delivery is all on Kafka or none of it, and one Kafka cannot take within
            // the ack deadline would be answered 503 on every retry.
            return Uni.createFrom().item(reject(sourceName, "too_large", "too_many_changes", deliveryId,
                    Problem.response(Response.Status.REQUEST_ENTITY_TOO_LARGE, "body: " + changes.size()
                            + " changes in one delivery, more than tidemark.receiver.max-changes-per-delivery ("
                            + config.receiver().maxChangesPerDelivery() + "); send them in smaller deliveries")));
        }
        Timer.Sample sample = Timer.start(metrics);
        return publisher.publish(changes)
                .ifNoItem().after(config.receiver().ackTimeout()).fail()
                .map(ignored -> {
                    sample.stop(metrics.timer(Metric.WEBHOOK_KAFKA_ACK, "source", sourceName));
                    count(sourceName, "accepted");
                    return Response.accepted(Map.of("deliveryId", deliveryId, "changes", changes.size()))
                            .type(MediaType.APPLICATION_JSON).build();
                })
                .onFailure().recoverWithItem(failure -> refusedForGood(failure)
                        .map(refusal -> reject(sourceName, "bad_request", refusal.getClass().getSimpleName(), deliveryId, refusal
                                instanceof RecordTooLargeException
                                ? Problem.response(Response.Status.REQUEST_ENTITY_TOO_LARGE,
                                        "body: the change made from it is larger than Kafka accepts (the producer's max.request.size,"
                                                + " the topic's max.message.bytes); a retry cannot succeed")
                                : Problem.response(Response.Status.BAD_REQUEST,
                                        "body: its record cannot be written as a change (nested too deeply)")))
                        .orElseGet(() -> reject(sourceName, "unavailable",
                                failure.getClass().getSimpleName(), deliveryId,
                                Response.fromResponse(Problem.response(Response.Status.SERVICE_UNAVAILABLE,
                                                "Kafka did not acknowledge the delivery in time; retry later"))
                                        .header(HttpHeaders.RETRY_AFTER, config.receiver().retryAfterSeconds())
                                        .build())));
    }

    /**
     * A failure no retry of the same delivery can cure: Kafka refuses the
     * record's size, or the change cannot be serialized. Answered 4xx, so the
     * provider stops retrying; anything else (the broker away) is a 503.
     */
    private static Optional<Throwable> refusedForGood(Throwable failure) {
        return Causes.find(failure, t -> t instanceof RecordTooLargeException
                || t instanceof JsonProcessingException);
    }

    private Response reject(String source, String outcome, String reason, String deliveryId, Response response) {
        count(source, outcome);
        long skipped = rejections.admit();
        if (skipped >= 0) {
            // Never the body, a signature or a secret: only what identifies the delivery and why it was refused.
            LOG.infof("webhook rejected: source=%s outcome=%s reason=%s deliveryId=%s status=%d%s", printable(source), outcome,
                    reason, deliveryId, response.getStatus(), skipped > 0 ? " (" + skipped + " rejections before it not logged)" : "");
        }
        return response;
    }

    private void count(String source, String outcome) {
        metrics.counter(Metric.WEBHOOK_DELIVERIES, "source", source, "outcome", outcome).increment();
    }

    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}");

    /**
     * The request's media type, {@code type/subtype} in lower case without parameters: "" when there is no
     * Content-Type (or an empty one), empty when there are several or the one there is not a media type.
     */
    static Optional<String> mediaType(List<String> values) {
        if (values == null || values.isEmpty()) {
            return Optional.of("");
        }
        if (values.size() > 1) {
            return Optional.empty();
        }
        String value = values.get(0) == null ? "" : values.get(0);
        int parameters = value.indexOf(';');
        String type = (parameters < 0 ? value : value.substring(0, parameters)).trim().toLowerCase(Locale.ROOT);
        if (type.isEmpty()) {
            return Optional.of("");
        }
        return MEDIA_TYPE.matcher(type).matches() ? Optional.of(type) : Optional.empty();
    }

    /** A provider-supplied value fit for a log line and a JSON field: bounded, no control characters. */
    static String printable(String value) {
        String cleaned = CONTROL.matcher(value).replaceAll("?");
        return cleaned.length() > 128 ? cleaned.substring(0, 128) : cleaned;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The request's headers by lower-case name, several values of one joined as HTTP would ("a, b"). */
    static Map<String, String> byLowerCaseName(HttpHeaders headers) {
        Map<String, String> byName = new HashMap<>();
        headers.getRequestHeaders().forEach((name, values) -> byName.merge(name.toLowerCase(Locale.ROOT),
                String.join(", ", values), (a, b) -> a + ", " + b));
        return byName;
    }
}
