package dev.tidemark.receiver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads a verified body as JSON: a JSON body as is; a form-encoded one (Slack's
 * slash commands and interactivity) as an object of its fields, or, when it
 * has a {@code payload} field holding JSON, as that JSON.
 */
final class DeliveryBody {

    static final String FORM = "application/x-www-form-urlencoded";

    private DeliveryBody() {
    }

    static Optional<JsonNode> parse(String mediaType, byte[] body, ObjectMapper json) {
        try {
            if (FORM.equals(mediaType)) {
                return Optional.of(form(new String(body, StandardCharsets.UTF_8), json));
            }
            JsonNode node = json.readTree(body);
            return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static JsonNode form(String text, ObjectMapper json) throws IOException {
        ObjectNode fields = json.createObjectNode();
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            fields.put(name, value);
        }
        JsonNode payload = fields.get("payload");
        if (payload != null) {
            JsonNode parsed = json.readTree(payload.asText());
            if (parsed != null && parsed.isObject()) {
                return parsed;
            }
        }
        return fields;
    }
}
