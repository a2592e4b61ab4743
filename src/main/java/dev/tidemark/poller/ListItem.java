package dev.tidemark.poller;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One record as a list page returned it.
 *
 * @param updatedAt the record's own timestamp (microseconds), or null for a resource without one
 */
public record ListItem(String id, Instant updatedAt, JsonNode data) {
}
