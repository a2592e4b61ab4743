package dev.tidemark.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.change.Connection;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionChange;
import dev.tidemark.connections.ConnectionLimits;
import dev.tidemark.connections.ConnectionSpec;
import dev.tidemark.connections.ConnectionState;
import dev.tidemark.connections.ConnectionVariables;
import dev.tidemark.poller.ProviderAuth;
import dev.tidemark.receiver.WebhookRouting;
import dev.tidemark.receiver.signature.SchemeKind;
import io.quarkus.runtime.configuration.DurationConverter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a create or PATCH body of the connections API against the source it
 * names: every field's type, the variables the source declares, the
 * credentials its auth type takes, resources that exist. A problem names the
 * field and never echoes a secret's value.
 */
final class ConnectionRequests {

    /** A connection's id: safe in a URL path segment and a Kafka key. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    static final int MAX_ROUTING_KEY = 512;
    static final int MAX_METADATA_BYTES = 16 * 1024;

    private static final Set<String> CREATE_FIELDS = Set.of("id", "credentials", "variables", "routingKeys", "webhookSecrets",
            "metadata", "schedule", "rateLimit", "enabled");
    private static final Set<String> LIMIT_FIELDS = Set.of("requestsPerSecond", "burst", "maxConcurrency");

    /** A request that could not be read: the field and what is wrong with it. */
    static final class Invalid extends Exception {
        Invalid(String detail) {
            super(detail, null, false, false);
        }
    }

    private ConnectionRequests() {
    }

    static ConnectionSpec create(String source, TidemarkConfig.Source config, JsonNode body) throws Invalid {
        ObjectNode object = object(body);
        unknownFields(object, CREATE_FIELDS);
        JsonNode id = object.get("id");
        if (id == null || !id.isTextual()) {
            throw new Invalid("id: required, a string of 1 to 128 of A-Z a-z 0-9 . _ -");
        }
        if (!ID.matcher(id.textValue()).matches() || id.textValue().matches("\\.+")) {
            throw new Invalid("id: must be 1 to 128 of A-Z a-z 0-9 . _ - (it is part of URLs and Kafka keys)");
        }
        if (config.resources().containsKey(id.textValue())) {
            // A record key source/connection/resource/id must read one way only (docs/connections.md "Keys").
            throw new Invalid("id: '" + id.textValue() + "' is the name of one of the source's resources; choose another");
        }
        Map<String, String> variables = textMap(object, "variables").orElse(Map.of());
        Optional<String> problem = ConnectionVariables.problem(declared(config), variables);
        if (problem.isPresent()) {
            throw new Invalid(problem.get());
        }
        List<String> routingKeys = routingKeys(config, object).orElse(List.of());
        Optional<List<String>> secrets = webhookSecrets(config, object);
        Map<String, String> schedule = schedule(config, object).orElse(Map.of());
        ConnectionLimits rateLimit = rateLimit(object).orElse(ConnectionLimits.NONE);
        JsonNode metadata = metadata(object).orElse(null);
        boolean enabled = bool(object, "enabled").orElse(true);
        Optional<Map<String, String>> credentials = textMap(object, "credentials");
        if (credentials.isEmpty() && config.api().flatMap(TidemarkConfig.ProviderApi::auth).isPresent()) {
            TidemarkConfig.Auth auth = config.api().get().auth().get();
            throw new Invalid("credentials: required, the source's API takes auth type " + auth.type() + " ("
                    + String.join(", ", ProviderAuth.of(auth).credentialFields()) + ")");
        }
        checkCredentials(config, credentials);
        return new ConnectionSpec(new Connection(source, id.textValue()), credentials, variables, routingKeys, secrets, metadata,
                schedule, rateLimit, enabled ? ConnectionState.ACTIVE : ConnectionState.PAUSED);
    }


    static ConnectionChange change(TidemarkConfig.Source config, JsonNode body) throws Invalid {
        ObjectNode object = object(body);
        unknownFields(object, CREATE_FIELDS);
        if (object.has("id")) {
            throw new Invalid("id: a connection's id cannot change (create another)");
        }
        Optional<Map<String, String>> credentials = textMap(object, "credentials");
        checkCredentials(config, credentials);
        Optional<Map<String, String>> variables = textMap(object, "variables");
        if (variables.isPresent()) {
            Optional<String> problem = ConnectionVariables.problem(declared(config), variables.get());
            if (problem.isPresent()) {
                throw new Invalid(problem.get());
            }
        }
        return new ConnectionChange(credentials, variables, routingKeys(config, object), webhookSecrets(config, object),
                object.has("metadata") ? Optional.of(metadata(object).orElse(NullNode.getInstance())) : Optional.empty(),
                schedule(config, object), rateLimit(object), bool(object, "enabled"));
    }

    private static List<String> declared(TidemarkConfig.Source config) {
        return config.connections().flatMap(TidemarkConfig.Connections::variables).orElse(List.of());
    }

    private static void checkCredentials(TidemarkConfig.Source config, Optional<Map<String, String>> credentials) throws Invalid {
        if (credentials.isEmpty()) {
            return;
        }
        Optional<TidemarkConfig.Auth> auth = config.api().flatMap(TidemarkConfig.ProviderApi::auth);
        if (auth.isEmpty()) {
            throw new Invalid("credentials: the source calls its API without credentials (it has no api.auth)");
        }
        Optional<String> problem = ProviderAuth.of(auth.get()).credentialProblem(auth.get(), credentials.get());
        if (problem.isPresent()) {
            throw new Invalid(problem.get());
        }
    }

    private static Optional<List<String>> webhookSecrets(TidemarkConfig.Source config, ObjectNode object) throws Invalid {
        Optional<List<String>> secrets = textList(object, "webhookSecrets", 4096);
        if (secrets.isPresent() && !secrets.get().isEmpty()) {
            boolean byUrl = config.connections().map(WebhookRouting::of).orElse(null) == WebhookRouting.URL;
            if (config.webhook().isEmpty() || !byUrl) {
                throw new Invalid("webhookSecrets: only a source whose webhooks are routed by URL verifies them with a "
                        + "connection's own secrets (connections.routing: url)");
            }
            try {
                SchemeKind.create(config.webhook().get(), secrets.get());
            } catch (IllegalArgumentException e) {
                // The scheme's own words (a Stripe secret starts with whsec_), never the secret.
                throw new Invalid("webhookSecrets: " + e.getMessage());
            }
        }
        return secrets;
    }

    private static Optional<List<String>> routingKeys(TidemarkConfig.Source config, ObjectNode object) throws Invalid {
        Optional<List<String>> keys = textList(object, "routingKeys", MAX_ROUTING_KEY);
        if (keys.isPresent() && !keys.get().isEmpty() && config.connections().map(WebhookRouting::of).orElse(null) == WebhookRouting.URL) {
            throw new Invalid("routingKeys: the source routes webhooks by URL (connections.routing: url), not by routing keys");
        }
        if (keys.isPresent() && new LinkedHashSet<>(keys.get()).size() != keys.get().size()) {
            throw new Invalid("routingKeys: a routing key is listed twice");
        }
        return keys;
    }

    private static Optional<Map<String, String>> schedule(TidemarkConfig.Source config, ObjectNode object) throws Invalid {
        Optional<Map<String, String>> schedule = textMap(object, "schedule");
        if (schedule.isEmpty()) {
            return schedule;
        }
        for (var entry : schedule.get().entrySet()) {
            TidemarkConfig.Resource resource = config.resources().get(entry.getKey());
            if (resource == null || resource.list().isEmpty()) {
                throw new Invalid("schedule." + shown(entry.getKey()) + ": the source has no polled resource of that name");
            }
            Duration every;
            try {
                every = DurationConverter.parseDuration(entry.getValue());
            } catch (IllegalArgumentException e) {
                every = null;
            }
            if (every == null || every.compareTo(Duration.ofSeconds(1)) < 0 || every.compareTo(Duration.ofDays(366)) > 0) {
                throw new Invalid("schedule." + shown(entry.getKey()) + ": a duration from 1s to 366d, such as 15m or PT15M");
            }
        }
        return schedule;
    }

    /**
     * The connection's own rate limit: any of requestsPerSecond (above 0, at most 10,000), burst (1 to 10,000) and
     * maxConcurrency (1 to 64); {@code {}} or null for the source's.
     */
    private static Optional<ConnectionLimits> rateLimit(ObjectNode object) throws Invalid {
        JsonNode limit = object.get("rateLimit");
        if (limit == null) {
            return Optional.empty();
        }
        if (limit.isNull()) {
            return Optional.of(ConnectionLimits.NONE);
        }
        if (!limit.isObject()) {
            throw new Invalid("rateLimit: an object of requestsPerSecond, burst and maxConcurrency, or null for the source's");
        }
        for (var names = limit.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!LIMIT_FIELDS.contains(name)) {
                throw new Invalid("rateLimit." + shown(name) + ": not a field (requestsPerSecond, burst, maxConcurrency)");
            }
        }
        JsonNode rate = limit.get("requestsPerSecond");
        if (rate != null && (!rate.isNumber() || !(rate.doubleValue() > 0) || rate.doubleValue() > 10_000)) {
            throw new Invalid("rateLimit.requestsPerSecond: a number above 0 and at most 10000");
        }
        return Optional.of(new ConnectionLimits(Optional.ofNullable(rate).map(JsonNode::doubleValue),
                whole(limit, "burst", 10_000), whole(limit, "maxConcurrency", 64)));
    }

    private static Optional<Integer> whole(JsonNode limit, String field, int max) throws Invalid {
        JsonNode value = limit.get(field);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 1 || value.intValue() > max) {
            throw new Invalid("rateLimit." + field + ": a whole number from 1 to " + max);
        }
        return Optional.of(value.intValue());
    }

    private static Optional<JsonNode> metadata(ObjectNode object) throws Invalid {
        JsonNode metadata = object.get("metadata");
        if (metadata == null || metadata.isNull()) {
            return Optional.empty();
        }
        if (metadata.toString().getBytes(StandardCharsets.UTF_8).length > MAX_METADATA_BYTES) {
            throw new Invalid("metadata: larger than " + MAX_METADATA_BYTES + " bytes of JSON");
        }
        return Optional.of(metadata);
    }

    private static ObjectNode object(JsonNode body) throws Invalid {
        if (body == null || !body.isObject()) {
            throw new Invalid("body: must be a JSON object");
        }
        storable("body", body, 0);
        return (ObjectNode) body;
    }

    /**
     * Every name and text in the body PostgreSQL can hold and JSON can write again: no NUL character (jsonb and
     * text refuse it) and no half of a surrogate pair (not UTF-8). Checked before anything is stored or sealed.
     */
    private static void storable(String at, JsonNode node, int depth) throws Invalid {
        if (depth > 64) {
            throw new Invalid(at + ": nested more than 64 deep");
        }
        if (node.isTextual() && !storable(node.textValue())) {
            throw new Invalid(at + ": holds a NUL character or is not valid Unicode");
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                storable(at + "[" + i + "]", node.get(i), depth + 1);
            }
        }
        if (node.isObject()) {
            for (var entry : (Iterable<Map.Entry<String, JsonNode>>) node::fields) {
                if (!storable(entry.getKey())) {
                    throw new Invalid(at + ": a field name holds a NUL character or is not valid Unicode");
                }
                storable(at.equals("body") ? shown(entry.getKey()) : at + "." + shown(entry.getKey()), entry.getValue(), depth + 1);
            }
        }
    }

    private static boolean storable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static void unknownFields(ObjectNode object, Set<String> known) throws Invalid {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new Invalid(shown(name) + ": not a field of a connection (" + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    private static Optional<Boolean> bool(ObjectNode object, String field) throws Invalid {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isBoolean()) {
            throw new Invalid(field + ": must be true or false");
        }
        return Optional.of(value.booleanValue());
    }

    private static Optional<Map<String, String>> textMap(ObjectNode object, String field) throws Invalid {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isObject()) {
            throw new Invalid(field + ": must be an object of strings");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (var entry : (Iterable<Map.Entry<String, JsonNode>>) value::fields) {
            if (!entry.getValue().isTextual()) {
                throw new Invalid(field + "." + shown(entry.getKey()) + ": must be a string");
            }
            if (entry.getValue().textValue().length() > 8192) {
                throw new Invalid(field + "." + shown(entry.getKey()) + ": longer than 8192 characters");
            }
            map.put(entry.getKey(), entry.getValue().textValue());
        }
        return Optional.of(map);
    }

    private static Optional<List<String>> textList(ObjectNode object, String field, int maxLength) throws Invalid {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isArray()) {
            throw new Invalid(field + ": must be an array of strings");
        }
        List<String> list = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (!item.isTextual() || item.textValue().isEmpty() || item.textValue().length() > maxLength
                    || item.textValue().indexOf('\u0000') >= 0) {
                throw new Invalid(field + "[" + i + "]: must be a non-empty string of at most " + maxLength + " characters");
            }
            list.add(item.textValue());
        }
        if (list.size() > 100) {
            throw new Invalid(field + ": at most 100");
        }
        return Optional.of(list);
    }

    /** A caller's field name, as far as it is safe to repeat. */
    private static String shown(String name) {
        return name.length() > 64 || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? "a field" : name;
    }
}
