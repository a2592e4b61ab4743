package dev.tidemark.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stripe's REST API as far as the stripe template reads it, really served over HTTP: {@code GET /v1/<collection>}
 * newest first ({@code created} descending), {@code limit} 1–100, {@code starting_after} an id of the collection,
 * {@code {"object": "list", "url", "has_more", "data"}}; {@code GET /v1/<collection>/<id>} the object, a deleted
 * customer, invoice or product as {@code {"id", "object", "deleted": true}} with 200, anything else a 404 with
 * Stripe's error body. A secret key in {@code Authorization: Bearer} or a 401; a {@code Request-Id} on every answer.
 * Objects are Stripe's own published ones (stripe/openapi fixtures3.json), given ids of their own.
 */
public final class StripeApi extends SimulatedApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KEEP_DELETED = Set.of("customers", "invoices", "products");

    private final String key;
    private final Map<String, Map<String, ObjectNode>> collections = new ConcurrentHashMap<>();
    private final Map<String, Map<String, ObjectNode>> deleted = new ConcurrentHashMap<>();

    public StripeApi(int port, String key) {
        super(port);
        this.key = key;
        start();
    }

    public String baseUrl() {
        return origin() + "/v1";
    }

    /** One of Stripe's published objects of fixtures3.json (customer, subscription, invoice, product, price, ...). */
    public static ObjectNode fixture(String type) {
        try (InputStream in = StripeApi.class.getResourceAsStream("/providers/stripe/fixtures3-objects.json")) {
            return (ObjectNode) JSON.readTree(in).get(type).deepCopy();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stores {@code object} (its id and created set by the caller) in {@code collection}. */
    public void put(String collection, ObjectNode object) {
        collections.computeIfAbsent(collection, c -> new ConcurrentHashMap<>()).put(object.get("id").asText(), object);
        Map<String, ObjectNode> gone = deleted.get(collection);
        if (gone != null) {
            gone.remove(object.get("id").asText());
        }
    }

    /** Deletes as Stripe does: the object leaves its list; a customer, invoice or product is then read as deleted. */
    public void delete(String collection, String id) {
        ObjectNode object = collections.getOrDefault(collection, Map.of()).remove(id);
        if (object != null && KEEP_DELETED.contains(collection)) {
            deleted.computeIfAbsent(collection, c -> new ConcurrentHashMap<>())
                    .put(id, JSON.createObjectNode().put("id", id).put("object", object.path("object").asText()).put("deleted", true));
        }
    }

    public void clear() {
        collections.clear();
        deleted.clear();
        forgetCalls();
    }

    /** The calls answered, as "GET /v1/customers?limit=100&amp;starting_after=…". */

    @Override
    void answer(HttpExchange exchange, Map<String, String> query) throws IOException {
        exchange.getResponseHeaders().set("Request-Id", "req_" + UUID.randomUUID().toString().replace("-", "").substring(0, 14));
        exchange.getResponseHeaders().set("Stripe-Version", "2024-06-20");
        if (!("Bearer " + key).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            error(exchange, 401, "invalid_request_error", "Invalid API Key provided");
            return;
        }
        String[] path = exchange.getRequestURI().getPath().split("/");
        if (!exchange.getRequestMethod().equals("GET") || path.length < 3 || path.length > 4 || !path[1].equals("v1")) {
            error(exchange, 404, "invalid_request_error", "Unrecognized request URL");
            return;
        }
        String collection = path[2];
        if (path.length == 4) {
            String id = URLDecoder.decode(path[3], StandardCharsets.UTF_8);
            ObjectNode object = collections.getOrDefault(collection, Map.of()).get(id);
            if (object == null) {
                object = deleted.getOrDefault(collection, Map.of()).get(id);
            }
            if (object == null) {
                error(exchange, 404, "invalid_request_error", "No such object: '" + id + "'");
            } else {
                HttpExchanges.send(exchange, 200, object);
            }
            return;
        }
        list(exchange, collection, query);
    }

    private void list(HttpExchange exchange, String collection, Map<String, String> query) throws IOException {
        int limit;
        try {
            limit = Integer.parseInt(query.getOrDefault("limit", "10"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > 100) {
            error(exchange, 400, "invalid_request_error", "Invalid integer: limit must be between 1 and 100");
            return;
        }
        List<ObjectNode> all = new ArrayList<>(collections.getOrDefault(collection, Map.of()).values());
        if ("subscriptions".equals(collection) && !"all".equals(query.get("status"))) {
            all.removeIf(s -> "canceled".equals(s.path("status").asText()));   // Stripe's default leaves canceled ones out
        }
        all.sort(Comparator.comparingLong((ObjectNode o) -> o.path("created").asLong()).thenComparing(o -> o.get("id").asText()).reversed());
        int from = 0;
        String after = query.get("starting_after");
        if (after != null) {
            from = -1;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).get("id").asText().equals(after)) {
                    from = i + 1;
                }
            }
            if (from < 0) {
                error(exchange, 400, "invalid_request_error", "No such object: '" + after + "'");
                return;
            }
        }
        List<ObjectNode> page = all.subList(from, Math.min(all.size(), from + limit));
        ObjectNode body = JSON.createObjectNode().put("object", "list").put("url", "/v1/" + collection)
                .put("has_more", from + page.size() < all.size());
        ArrayNode data = body.putArray("data");
        page.forEach(data::add);
        HttpExchanges.send(exchange, 200, body);
    }

    private static void error(HttpExchange exchange, int status, String type, String message) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("type", type).put("message", message);
        HttpExchanges.send(exchange, status, body);
    }

}
