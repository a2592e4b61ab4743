package dev.tidemark.poller;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/** A page as the provider returned it: its items, its body (for tokens and links) and its headers (lower-case names). */
public record ListPage(List<ListItem> items, JsonNode body, Map<String, List<String>> headers) {

    public List<String> header(String name) {
        return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }
}
