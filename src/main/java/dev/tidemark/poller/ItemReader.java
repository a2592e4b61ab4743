package dev.tidemark.poller;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.change.Timestamps;
import dev.tidemark.change.JsonPointers;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads a list page's items: where the array is, and each item's id and updated_at. */
final class ItemReader {

    private final Optional<JsonPointer> items;
    private final JsonPointer id;
    private final Optional<JsonPointer> updatedAt;

    /** @param updatedAt where each item's updated_at is; empty for a resource whose records carry none (change detection by hash) */
    ItemReader(Optional<String> items, String id, Optional<String> updatedAt) {
        this.items = items.filter(path -> !path.isEmpty()).map(JsonPointers::compile);
        this.id = JsonPointers.compile(id);
        this.updatedAt = updatedAt.map(JsonPointers::compile);
    }

    /** The page's items in the provider's order; a page that is not what the configuration describes is malformed. */
    List<ListItem> read(JsonNode body) {
        JsonNode array = items.map(body::at).orElse(body);
        if (!array.isArray()) {
            throw new MalformedPageException(items.map(p -> "the items at " + p + " are not an array")
                    .orElse("the body is not an array of items"));
        }
        List<ListItem> read = new ArrayList<>(array.size());
        int index = 0;
        for (JsonNode item : array) {
            JsonNode idNode = item.at(id);
            if (JsonPointers.idText(idNode).filter(text -> !text.isEmpty()).isEmpty()) {
                throw new MalformedPageException("item " + index + " has no id at " + id);
            }
            int position = index;
            Instant at = null;
            if (updatedAt.isPresent()) {
                at = Timestamps.parse(item.at(updatedAt.get())).orElseThrow(() -> new MalformedPageException(
                        "item " + position + " (id " + idNode.asText() + ") has no updated_at at " + updatedAt.get()));
            }
            read.add(new ListItem(idNode.asText(), at, item));
            index++;
        }
        return read;
    }
}
