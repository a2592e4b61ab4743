package dev.tidemark.receiver;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.change.JsonPointers;
import dev.tidemark.config.TidemarkConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns one verified delivery of one source into record changes, purely from
 * configuration: where the event type is (a body pointer or a header), which
 * types feed which resource and which delete, where the record is, where its
 * id and updated_at are (in the record, or in the event around it), and
 * whether the delivery is thin (an id only: the record is refetched). A body
 * that is a JSON array carries several events.
 */
public final class DeliveryMapper {

    private final String source;
    private final JsonPointer eventType;
    private final Optional<String> eventTypeHeader;
    private final Map<String, Target> targets = new HashMap<>();
    /** With connections routed by pointer: where each event names its account. */
    private final Optional<JsonPointer> routingPointer;
    private final String routingText;

    /** Where a field is: a pointer and its text, into either the event or the record. */
    private record Field(JsonPointer pointer, String text, boolean inEvent) {

        JsonNode read(JsonNode event, JsonNode record) {
            return (inEvent ? event : record).at(pointer);
        }

        String describe(String eventAt, String recordText) {
            return eventAt + (inEvent ? "" : recordText) + text;
        }
    }

    private record Target(String resource, Op op, JsonPointer record, String recordText, Field id, Field updatedAt) {
    }

    public DeliveryMapper(String source, TidemarkConfig.Source config) {
        this.source = source;
        this.eventType = JsonPointers.compile(config.webhook().map(TidemarkConfig.Webhook::eventType).orElse("/type"));
        this.eventTypeHeader = config.webhook().flatMap(TidemarkConfig.Webhook::eventTypeHeader);
        this.routingText = config.connections().filter(c -> WebhookRouting.of(c) == WebhookRouting.POINTER)
                .flatMap(TidemarkConfig.Connections::routingPointer).orElse("");
        this.routingPointer = routingText.isEmpty() ? Optional.empty() : Optional.of(JsonPointers.compile(routingText));
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
        return new Target(name, op, JsonPointers.compile(record), record,
                field(webhook.id(), resource.id()), field(webhook.updatedAt(), resource.updatedAt()));
    }

    private static Field field(Optional<String> inEvent, String inRecord) {
        return inEvent.map(p -> new Field(JsonPointers.compile(p), p, true))
                .orElseGet(() -> new Field(JsonPointers.compile(inRecord), inRecord, false));
    }

    /**
     * @param headers    the request's headers, looked up case-insensitively
     * @param deliveryId the provider's delivery id, or one derived from the body
     */
    public MappingResult map(JsonNode body, Function<String, String> headers, String deliveryId, Instant observedAt) {
        List<JsonNode> events = new ArrayList<>();
        if (body.isArray()) {
            body.forEach(events::add);
        } else {
            events.add(body);
        }
        if (events.isEmpty()) {
            return new MappingResult.Ignored("empty array of events");
        }
        Optional<String> headerType = eventTypeHeader.map(headers).filter(t -> !t.isBlank());
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
            Optional<String> id = idNode.isTextual() || idNode.isIntegralNumber()
                    ? Optional.of(idNode.asText()).filter(s -> !s.isEmpty())
                    : Optional.empty();
            if (id.isEmpty()) {
                return new MappingResult.Invalid(target.id().describe(at, target.recordText()),
                        "record id is missing or not a string or integer");
            }
            JsonNode updatedAtNode = target.updatedAt().read(event, record);
            Optional<Instant> updatedAt = Timestamps.parse(updatedAtNode);
            boolean thinWithoutTime = target.op() == Op.REFETCH && (updatedAtNode.isMissingNode() || updatedAtNode.isNull());
            if (updatedAt.isEmpty() && !thinWithoutTime) {
                return new MappingResult.Invalid(target.updatedAt().describe(at, target.recordText()),
                        "updated_at is missing or not ISO-8601, epoch seconds or epoch milliseconds");
            }
            ChangeEnvelope change = new ChangeEnvelope(source, target.resource(), id.get(), target.op(),
                    updatedAt.orElse(Timestamps.micros(observedAt)),
                    target.op() == Op.UPSERT ? record : null, Origin.WEBHOOK, deliveryId, observedAt);
            if (routingPointer.isPresent()) {
                JsonNode account = event.at(routingPointer.get());
                Optional<String> key = account.isTextual() || account.isIntegralNumber()
                        ? Optional.of(account.asText()).filter(k -> !k.isEmpty() && k.length() <= 512 && k.indexOf('\u0000') < 0) : Optional.empty();
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
}
