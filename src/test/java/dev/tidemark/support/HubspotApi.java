package dev.tidemark.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * HubSpot's CRM objects API as far as the hubspot template reads it, really served over HTTP:
 * {@code GET /crm/v3/objects/<type>?limit=&after=} ({@code limit} 1–100; {@code {"results": [...], "paging":
 * {"next": {"after", "link"}}}}, no paging on the last page), {@code GET /crm/v3/objects/<type>/<id>} the object or
 * a 404 with HubSpot's error body; an id merged into another answers with the survivor. A bearer token or a 401; every answer says its ten-second quota
 * ({@code X-HubSpot-RateLimit-*}).
 */
public final class HubspotApi extends SimulatedApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String token;
    private final Map<String, NavigableMap<Long, ObjectNode>> objects = new ConcurrentHashMap<>();
    private final Map<Long, Long> merged = new ConcurrentHashMap<>();

    public HubspotApi(int port, String token) {
        super(port);
        this.token = token;
        start();
    }

    public String baseUrl() {
        return origin() + "/crm/v3/objects";
    }

    /** A contact as the CRM API answers one: its id as text, its properties, createdAt, updatedAt, archived. */
    public static ObjectNode contact(long id, String email, String updatedAt) {
        ObjectNode contact = JSON.createObjectNode().put("id", Long.toString(id));
        contact.putObject("properties").put("createdate", "2019-10-30T03:30:17.883Z").put("email", email)
                .put("firstname", "Brian").put("hs_object_id", Long.toString(id)).put("lastmodifieddate", updatedAt)
                .put("lastname", "Halligan");
        return contact.put("createdAt", "2019-10-30T03:30:17.883Z").put("updatedAt", updatedAt).put("archived", false);
    }

    public void put(String type, ObjectNode object) {
        objects.computeIfAbsent(type, t -> new ConcurrentSkipListMap<>()).put(Long.parseLong(object.get("id").asText()), object);
    }

    public void delete(String type, long id) {
        objects.getOrDefault(type, new ConcurrentSkipListMap<>()).remove(id);
    }

    /** Merges {@code from} into {@code into}: {@code from} leaves the list, and reading it answers with {@code into}. */
    public void merge(String type, long from, long into) {
        delete(type, from);
        merged.put(from, into);
    }

    public void clear() {
        merged.clear();
        objects.clear();
        forgetCalls();
    }

    @Override
    void answer(HttpExchange exchange, Map<String, String> query) throws IOException {
        exchange.getResponseHeaders().set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000");
        exchange.getResponseHeaders().set("X-HubSpot-RateLimit-Max", "100");
        exchange.getResponseHeaders().set("X-HubSpot-RateLimit-Remaining", "99");
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            HttpExchanges.send(exchange, 401, error("Authentication credentials not found.", "INVALID_AUTHENTICATION"));
            return;
        }
        String[] path = exchange.getRequestURI().getPath().split("/");
        // "", "crm", "v3", "objects", type[, id]
        if (path.length < 5 || path.length > 6 || !path[1].equals("crm") || !path[2].equals("v3") || !path[3].equals("objects")) {
            HttpExchanges.send(exchange, 404, error("Unable to infer object type from: " + exchange.getRequestURI().getPath(), "OBJECT_NOT_FOUND"));
            return;
        }
        NavigableMap<Long, ObjectNode> type = objects.getOrDefault(path[4], new ConcurrentSkipListMap<>());
        if (path.length == 6) {
            ObjectNode object;
            try {
                long id = Long.parseLong(path[5]);
                object = type.get(merged.getOrDefault(id, id));
            } catch (NumberFormatException e) {
                object = null;
            }
            if (object == null) {
                HttpExchanges.send(exchange, 404, error("resource not found", "OBJECT_NOT_FOUND"));
            } else {
                HttpExchanges.send(exchange, 200, object);
            }
            return;
        }
        int limit = Integer.parseInt(query.getOrDefault("limit", "10"));
        if (limit < 1 || limit > 100) {
            HttpExchanges.send(exchange, 400, error("limit must be between 1 and 100", "VALIDATION_ERROR"));
            return;
        }
        long after = Long.parseLong(query.getOrDefault("after", "0"));
        List<ObjectNode> page = new ArrayList<>();
        for (ObjectNode object : type.tailMap(after, true).values()) {
            if (page.size() == limit) {
                break;
            }
            page.add(object);
        }
        ObjectNode body = JSON.createObjectNode();
        ArrayNode results = body.putArray("results");
        page.forEach(results::add);
        if (!page.isEmpty()) {
            Long next = type.higherKey(Long.parseLong(page.get(page.size() - 1).get("id").asText()));
            if (next != null) {
                body.putObject("paging").putObject("next").put("after", next.toString())
                        .put("link", "https://api.hubapi.com" + exchange.getRequestURI().getPath() + "?after=" + next);
            }
        }
        HttpExchanges.send(exchange, 200, body);
    }

    private static ObjectNode error(String message, String category) {
        return JSON.createObjectNode().put("status", "error").put("message", message).put("correlationId", "aeb5f871-7f07-4993-9211-075dc63e7cbf")
                .put("category", category);
    }

}
