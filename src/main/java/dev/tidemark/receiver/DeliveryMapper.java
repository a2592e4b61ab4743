package dev.tidemark.receiver;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tidemark.cel.CelJson;
import dev.tidemark.cel.CelPredicate;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.change.JsonPointers;
import dev.tidemark.config.TidemarkConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Locale;

/**
 * Turns one verified delivery of one source into record changes, purely from
 * configuration: where the event type is (a body pointer or a header), which
 * types feed which resource and which delete, where the record is, where its
 * id and updated_at are (in the record, or in the event around it), and
 * whether the delivery is thin (an id only: the record is refetched), and
 * which of an event type's events are deletes (a CEL predicate over the event
 * and the headers, {@code delete-when}). A body that is a JSON array carries
 * several events.
 */
public final class DeliveryMapper {

    private final String source;
    private final JsonPointer eventType;
    private final Optional<String> eventTypeHeader;
    private final Map<String, Target> targets = new HashMap<>();
    /** With connections routed by pointer: where each event names its account. */
    private final Optional<JsonPointer> routingPointer;
    private final String routingText;
    /** How far past its arrival a time read from a header may be: a header no signature covers must not stamp a change in the future. */
    private final Duration headerTimeSlack;
    /** The provider's check of the URL, and where its answer is. */
    private final Optional<CelPredicate> challenge;
    private final JsonPointer challengeAnswer;
    private final String challengeAnswerText;
    /** The longest challenge answered: Slack's are about 50 characters; a longer one is not a handshake of theirs. */
    static final int MAX_CHALLENGE = 512;

    /** Where a field is: a pointer and its text, into either the event or the record. */
    private record Field(JsonPointer pointer, String text, boolean inEvent) {

        JsonNode read(JsonNode event, JsonNode record) {
            return (inEvent ? event : record).at(pointer);
        }

        String describe(String eventAt, String recordText) {
            return eventAt + (inEvent ? "" : recordText) + text;
        }
    }

    /**
     * @param deleteWhen      for an upsert's types: the events for which it holds are deletes
     * @param updatedAtHeader read when neither the record nor the event has updated_at
     */
    private record Target(String resource, Op op, JsonPointer record, String recordText, Field id, Field updatedAt,
            Optional<CelPredicate> deleteWhen, Optional<String> updatedAtHeader) {
    }

    public DeliveryMapper(String source, TidemarkConfig.Source config) {
        this.source = source;
        this.eventType = JsonPointers.compile(config.webhook().map(TidemarkConfig.Webhook::eventType).orElse("/type"));
        this.eventTypeHeader = config.webhook().flatMap(TidemarkConfig.Webhook::eventTypeHeader);
        this.routingText = config.connections().filter(c -> WebhookRouting.of(c) == WebhookRouting.POINTER)
                .flatMap(TidemarkConfig.Connections::routingPointer).orElse("");
        this.routingPointer = routingText.isEmpty() ? Optional.empty() : Optional.of(JsonPointers.compile(routingText));
        this.headerTimeSlack = config.webhook().map(TidemarkConfig.Webhook::tolerance).orElse(Duration.ofMinutes(5));
        Optional<TidemarkConfig.Challenge> handshake = config.webhook().flatMap(TidemarkConfig.Webhook::challenge);
        this.challenge = handshake.map(c -> predicate(c.when()));
        this.challengeAnswerText = handshake.map(TidemarkConfig.Challenge::answer).orElse("");
        this.challengeAnswer = JsonPointers.compile(challengeAnswerText);
        config.resources().forEach((name, resource) -> resource.webhook().ifPresent(webhook -> {
            for (String type : webhook.events().orElse(List.of())) {
                targets.put(type, target(name, webhook.thin() ? Op.REFETCH : Op.UPSERT, resource, webhook));
            }
            for (String type : webhook.deleteEvents().orElse(List.of())) {
                targets.put(type, target(name, Op.DELETE, resource, webhook));
            }
        }));
    }

    private static Target target(String name, Op op, TidemarkConfig.Resource resource, TidemarkConfig.ResourceWebhook webhook) {
        String record = webhook.record().orElse("");
        // Compiled again here (start-up checked it, naming the key): a mapper stands alone.
        Optional<CelPredicate> deleteWhen = op == Op.DELETE ? Optional.empty()
                : webhook.deleteWhen().map(DeliveryMapper::predicate);
        return new Target(name, op, JsonPointers.compile(record), record,
                field(webhook.id(), resource.id()), field(webhook.updatedAt(), resource.updatedAt()), deleteWhen,
                webhook.updatedAtHeader());
    }

    private static Field field(Optional<String> inEvent, String inRecord) {
        return inEvent.map(p -> new Field(JsonPointers.compile(p), p, true))
                .orElseGet(() -> new Field(JsonPointers.compile(inRecord), inRecord, false));
    }

    /**
     * @param headers    the request's headers by lower-case name (several values of one joined with ", ")
     * @param deliveryId the provider's delivery id, or one derived from the body
     */
    public MappingResult map(JsonNode body, Map<String, String> headers, String deliveryId, Instant observedAt) {
        List<JsonNode> events = new ArrayList<>();
        if (body.isArray()) {
            body.forEach(events::add);
        } else {
            events.add(body);
        }
        if (events.isEmpty()) {
            return new MappingResult.Ignored("empty array of events");
        }
        if (challenge.isPresent() && body.isObject()) {
            if (challenge.get().evaluate(celVariables(body, headers)).holds()) {
                JsonNode answer = body.at(challengeAnswer);
                if (!answer.isTextual() || answer.textValue().isEmpty() || answer.textValue().length() > MAX_CHALLENGE
                        || !answer.textValue().chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                    return new MappingResult.Invalid(challengeAnswerText, "the challenge to answer is missing, or not a string of at most "
                            + MAX_CHALLENGE + " printable ASCII characters");
                }
                return new MappingResult.Answer(answer.textValue());
            }
        }
        Optional<String> headerType = eventTypeHeader.map(name -> headers.get(name.toLowerCase(Locale.ROOT))).filter(t -> !t.isBlank());
        if (eventTypeHeader.isPresent() && headerType.isEmpty()) {
            return new MappingResult.Invalid(eventTypeHeader.get(), "event type header is missing");
        }
        List<ChangeEnvelope> changes = new ArrayList<>();
        List<String> unmapped = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            String at = body.isArray() ? "[" + i + "]" : "";
            JsonNode event = events.get(i);
            if (!event.isObject()) {
                return new MappingResult.Invalid(at.isEmpty() ? "body" : at, "an event must be a JSON object");
            }
            String type;
            if (headerType.isPresent()) {
                type = headerType.get();
            } else {
                JsonNode typeNode = event.at(eventType);
                if (!typeNode.isTextual()) {
                    return new MappingResult.Invalid(at + eventType, "event type is missing or not a string");
                }
                type = typeNode.textValue();
            }
            Target target = targets.get(type);
            if (target == null) {
                unmapped.add(type);
                continue;
            }
            JsonNode record = event.at(target.record());
            if (!record.isObject()) {
                return new MappingResult.Invalid(at + target.recordText(), "record is missing or not an object");
            }
            JsonNode idNode = target.id().read(event, record);
            Optional<String> id = JsonPointers.idText(idNode).filter(s -> !s.isEmpty());
            if (id.isEmpty()) {
                return new MappingResult.Invalid(target.id().describe(at, target.recordText()),
                        "record id is missing or not a string or integer");
            }
            Op op = target.op();
            if (target.deleteWhen().isPresent()) {
                CelPredicate.Outcome deletes = target.deleteWhen().get().evaluate(celVariables(event, headers));
                if (deletes == CelPredicate.Outcome.ERROR) {
                    return new MappingResult.Invalid(at.isEmpty() ? "delete-when" : at, "the delete-when predicate cannot be "
                            + "evaluated on this event (a field it reads is missing, or of another type)");
                }
                op = deletes.holds() ? Op.DELETE : op;
            }
            JsonNode updatedAtNode = target.updatedAt().read(event, record);
            boolean absent = updatedAtNode.isMissingNode() || updatedAtNode.isNull();
            String updatedAtFrom = target.updatedAt().describe(at, target.recordText());
            boolean fromHeader = false;
            if (absent && target.updatedAtHeader().isPresent()) {
                String header = headers.get(target.updatedAtHeader().get().toLowerCase(Locale.ROOT));
                updatedAtNode = header == null ? updatedAtNode : TextNode.valueOf(header);
                absent = header == null;
                fromHeader = header != null;
                updatedAtFrom = updatedAtFrom + " (or header " + target.updatedAtHeader().get() + ")";
            }
            Optional<Instant> updatedAt = Timestamps.parse(updatedAtNode);
            if (fromHeader && updatedAt.isPresent() && updatedAt.get().isAfter(observedAt.plus(headerTimeSlack))) {
                // Signatures cover the body, not this header: a replayed delivery with a time far ahead would write a
                // change no later one could ever beat.
                return new MappingResult.Invalid(updatedAtFrom, "the header's time is later than the delivery's arrival (by more "
                        + "than the webhook's tolerance)");
            }
            boolean thinWithoutTime = op == Op.REFETCH && absent;
            if (updatedAt.isEmpty() && !thinWithoutTime) {
                return new MappingResult.Invalid(updatedAtFrom, "updated_at is missing or not ISO-8601, epoch seconds or epoch milliseconds");
            }
            ChangeEnvelope change = new ChangeEnvelope(source, target.resource(), id.get(), op,
                    updatedAt.orElse(Timestamps.micros(observedAt)),
                    op == Op.UPSERT ? record : null, Origin.WEBHOOK, deliveryId, observedAt);
            if (routingPointer.isPresent()) {
                JsonNode account = event.at(routingPointer.get());
                Optional<String> key = JsonPointers.idText(account).filter(k -> !k.isEmpty() && k.length() <= 512 && k.indexOf('\u0000') < 0);
                if (key.isEmpty()) {
                    return new MappingResult.Invalid(at + routingText, "the event's account (its routing key) is missing, "
                            + "or not a string or integer of at most 512 characters");
                }
                change = change.withRoutingKey(key.get());
            }
            changes.add(change);
        }
        if (changes.isEmpty()) {
            return new MappingResult.Ignored("event type " + String.join(", ", unmapped) + " is not mapped to a resource");
        }
        return new MappingResult.Changes(changes);
    }

    /**
     * A webhook's CEL predicate (delete-when, challenge.when) over {@code event} and {@code headers}.
     *
     * @throws IllegalArgumentException with CEL's own description of what is wrong
     */
    public static CelPredicate predicate(String expression) {
        return CelPredicate.compile(expression, "event", "headers");
    }

    /** What a webhook's CEL predicates see: the event, and the request's headers by lower-case name. */
    private static Map<String, Object> celVariables(JsonNode event, Map<String, String> headers) {
        return Map.of("event", CelJson.toCel(event), "headers", headers);
    }
}
