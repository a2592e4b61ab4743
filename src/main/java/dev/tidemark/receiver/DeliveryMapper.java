package dev.tidemark.receiver;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.config.JsonPointers;
import dev.tidemark.config.TidemarkConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one verified delivery of one source into record changes, purely from
 * configuration: where the event type is, which types feed which resource and
 * which delete, where the record, its id and its updated_at are. A body that is
 * a JSON array carries several events.
 */
public final class DeliveryMapper {

    private final String source;
    private final JsonPointer eventType;
    private final Map<String, Target> targets = new HashMap<>();

    private record Target(String resource, Op op, JsonPointer record, JsonPointer id, JsonPointer updatedAt,
            String recordText, String idText, String updatedAtText) {
    }

    public DeliveryMapper(String source, TidemarkConfig.Source config) {
        this.source = source;
        this.eventType = JsonPointers.compile(config.webhook().map(TidemarkConfig.Webhook::eventType).orElse("/type"));
        config.resources().forEach((name, resource) -> resource.webhook().ifPresent(webhook -> {
            String record = webhook.record().orElse("");
            for (String type : webhook.events().orElse(List.of())) {
                targets.put(type, target(name, Op.UPSERT, record, resource));
            }
            for (String type : webhook.deleteEvents().orElse(List.of())) {
                targets.put(type, target(name, Op.DELETE, record, resource));
            }
        }));
    }

    private static Target target(String name, Op op, String record, TidemarkConfig.Resource resource) {
        return new Target(name, op, JsonPointers.compile(record), JsonPointers.compile(resource.id()),
                JsonPointers.compile(resource.updatedAt()), record, resource.id(), resource.updatedAt());
    }

    public MappingResult map(JsonNode body, String deliveryId, Instant observedAt) {
        List<JsonNode> events = new ArrayList<>();
        if (body.isArray()) {
            body.forEach(events::add);
        } else {
            events.add(body);
        }
        if (events.isEmpty()) {
            return new MappingResult.Ignored("empty array of events");
        }
        List<ChangeEnvelope> changes = new ArrayList<>();
        List<String> unmapped = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            String at = body.isArray() ? "[" + i + "]" : "";
            JsonNode event = events.get(i);
            if (!event.isObject()) {
                return new MappingResult.Invalid(at.isEmpty() ? "body" : at, "an event must be a JSON object");
            }
            JsonNode type = event.at(eventType);
            if (!type.isTextual()) {
                return new MappingResult.Invalid(at + eventType, "event type is missing or not a string");
            }
            Target target = targets.get(type.textValue());
            if (target == null) {
                unmapped.add(type.textValue());
                continue;
            }
            JsonNode record = event.at(target.record());
            if (!record.isObject()) {
                return new MappingResult.Invalid(at + target.recordText(), "record is missing or not an object");
            }
            JsonNode idNode = record.at(target.id());
            Optional<String> id = idNode.isTextual() || idNode.isIntegralNumber()
                    ? Optional.of(idNode.asText()).filter(s -> !s.isEmpty())
                    : Optional.empty();
            if (id.isEmpty()) {
                return new MappingResult.Invalid(at + target.recordText() + target.idText(), "record id is missing or not a string or integer");
            }
            Optional<Instant> updatedAt = Timestamps.parse(record.at(target.updatedAt()));
            if (updatedAt.isEmpty()) {
                return new MappingResult.Invalid(at + target.recordText() + target.updatedAtText(),
                        "updated_at is missing or not ISO-8601, epoch seconds or epoch milliseconds");
            }
            changes.add(new ChangeEnvelope(source, target.resource(), id.get(), target.op(), updatedAt.get(),
                    target.op() == Op.DELETE ? null : record, Origin.WEBHOOK, deliveryId, observedAt));
        }
        if (changes.isEmpty()) {
            return new MappingResult.Ignored("event type " + String.join(", ", unmapped) + " is not mapped to a resource");
        }
        return new MappingResult.Changes(changes);
    }
}
