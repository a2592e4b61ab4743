package dev.tidemark.change;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** RFC 6901 JSON pointers as written in configuration ("" is the whole document). */
public final class JsonPointers {

    private JsonPointers() {
    }

    /** "KEY: 'VALUE' is not a JSON pointer: why", unless {@code value} is one: the problem a configuration key reports. */
    public static Optional<String> problem(String key, String value) {
        return problem(value).map(p -> key + ": '" + value + "' is not a JSON pointer: " + p);
    }

    /** Why {@code text} is not a JSON pointer, or empty if it is one. */
    public static Optional<String> problem(String text) {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        if (!text.startsWith("/")) {
            return Optional.of("must be empty or start with '/'");
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '~' && (i + 1 >= text.length() || (text.charAt(i + 1) != '0' && text.charAt(i + 1) != '1'))) {
                return Optional.of("'~' must be followed by 0 or 1 (RFC 6901)");
            }
        }
        return Optional.empty();
    }

    /**
     * What a pointer found, as text, when it is a JSON string or integer: how providers write ids, tokens and
     * account keys. Empty for anything else (an object or list, which would read as "", a decimal, a boolean,
     * null, a missing node). The text may be empty; each caller says what it refuses besides.
     */
    public static Optional<String> idText(JsonNode found) {
        return found != null && (found.isTextual() || found.isIntegralNumber()) ? Optional.of(found.asText()) : Optional.empty();
    }

    public static JsonPointer compile(String text) {
        problem(text).ifPresent(p -> {
            throw new IllegalArgumentException("'" + text + "' is not a JSON pointer: " + p);
        });
        return JsonPointer.compile(text);
    }
}
