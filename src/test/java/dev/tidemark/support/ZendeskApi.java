package dev.tidemark.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Zendesk's Support API as far as the zendesk template reads users with it, really served over HTTP: the incremental
 * export {@code GET /api/v2/incremental/users/cursor.json?start_time=&per_page=} (or {@code ?cursor=}) in
 * (updated_at, id) order, {@code {"users", "after_url", "after_cursor", "end_of_stream"}}, a start_time less than a
 * minute old refused ({@code 400 InvalidValue}, as Zendesk does); {@code GET /api/v2/users/<id>.json} the user or a
 * 404. HTTP Basic with an API token ({@code <email>/token:<token>}) or a 401; every n-th call a 429 with Retry-After.
 */
public final class ZendeskApi extends SimulatedApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String authorization;
    private final Map<Long, ObjectNode> users = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile int limitedEvery;
    /** A busy account: each export call finds one more user changed just now. */
    private volatile boolean busy;
    private final AtomicInteger born = new AtomicInteger();

    public ZendeskApi(int port, String email, String token) {
        super(port);
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((email + "/token:" + token).getBytes(StandardCharsets.UTF_8));
        start();
    }

    public String baseUrl() {
        return origin() + "/api/v2";
    }

    /** A user as the Support API answers one. */
    public static ObjectNode user(long id, String name, Instant updatedAt) {
        return JSON.createObjectNode().put("id", id).put("url", "https://acme.zendesk.com/api/v2/users/" + id + ".json")
                .put("name", name).put("email", name.toLowerCase().replace(' ', '.') + "@example.com")
                .put("created_at", "2026-01-05T10:00:00Z").put("updated_at", updatedAt.toString()).put("active", true)
                .put("role", "end-user");
    }

    public void put(ObjectNode user) {
        users.put(user.get("id").asLong(), user);
    }

    public void rateLimitEvery(int n) {
        limitedEvery = n;
    }

    /** Every export call from now on finds a user changed a moment before it, as in an account in use. */
    public void busy(boolean on) {
        busy = on;
    }

    public void clear() {
        users.clear();
        forgetCalls();
        count.set(0);
        limitedEvery = 0;
        busy = false;
    }

    @Override
    void answer(HttpExchange exchange, Map<String, String> query) throws IOException {
        if (limitedEvery > 0 && count.incrementAndGet() % limitedEvery == 0) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            HttpExchanges.send(exchange, 429, JSON.createObjectNode().put("error", "APIRateLimitExceeded"));
            return;
        }
        if (!authorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            HttpExchanges.send(exchange, 401, JSON.createObjectNode().put("error", "Couldn't authenticate you"));
            return;
        }
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/api/v2/incremental/users/cursor.json")) {
            export(exchange, query);
        } else if (path.startsWith("/api/v2/users/") && path.endsWith(".json")) {
            ObjectNode user;
            try {
                user = users.get(Long.parseLong(path.substring("/api/v2/users/".length(), path.length() - ".json".length())));
            } catch (NumberFormatException e) {
                user = null;
            }
            if (user == null) {
                HttpExchanges.send(exchange, 404, JSON.createObjectNode().put("error", "RecordNotFound").put("description", "Not found"));
            } else {
                ObjectNode body = JSON.createObjectNode();
                body.set("user", user);
                HttpExchanges.send(exchange, 200, body);
            }
        } else {
            HttpExchanges.send(exchange, 404, JSON.createObjectNode().put("error", "InvalidEndpoint"));
        }
    }

    private void export(HttpExchange exchange, Map<String, String> query) throws IOException {
        if (busy) {
            long id = 9_000_000_000L + born.incrementAndGet();
            put(user(id, "Newcomer " + id, Instant.now().minusMillis(100)));
        }
        int perPage = Integer.parseInt(query.getOrDefault("per_page", "1000"));
        List<ObjectNode> ordered = new ArrayList<>(users.values());
        ordered.sort(Comparator.comparing((ObjectNode u) -> Instant.parse(u.get("updated_at").asText())).thenComparingLong(u -> u.get("id").asLong()));
        int from;
        if (query.containsKey("cursor")) {
            String[] at = new String(Base64.getUrlDecoder().decode(query.get("cursor")), StandardCharsets.UTF_8).split("\\|");
            Instant updated = Instant.parse(at[0]);
            long id = Long.parseLong(at[1]);
            from = 0;
            while (from < ordered.size() && key(ordered.get(from), updated, id) <= 0) {
                from++;
            }
        } else {
            String start = query.get("start_time");
            if (start == null) {
                HttpExchanges.send(exchange, 400, JSON.createObjectNode().put("error", "InvalidValue").put("description", "start_time is required"));
                return;
            }
            long startTime = Long.parseLong(start);
            if (startTime > Instant.now().getEpochSecond() - 60) {
                HttpExchanges.send(exchange, 400, JSON.createObjectNode().put("error", "InvalidValue")
                        .put("description", "Too recent start_time. Use a start_time older than 1 minute"));
                return;
            }
            from = 0;
            while (from < ordered.size() && Instant.parse(ordered.get(from).get("updated_at").asText()).getEpochSecond() < startTime) {
                from++;
            }
        }
        List<ObjectNode> page = ordered.subList(from, Math.min(ordered.size(), from + perPage));
        ObjectNode body = JSON.createObjectNode();
        ArrayNode items = body.putArray("users");
        page.forEach(items::add);
        // Zendesk always hands out where to go on from, the end of the stream included (to come back later).
        ObjectNode last = page.isEmpty() ? null : page.get(page.size() - 1);
        String cursor = last == null ? query.getOrDefault("cursor", "")
                : Base64.getUrlEncoder().withoutPadding().encodeToString((last.get("updated_at").asText() + "|" + last.get("id").asText())
                        .getBytes(StandardCharsets.UTF_8));
        body.put("after_url", baseUrl() + "/incremental/users/cursor.json?cursor=" + cursor + "&per_page=" + perPage);
        body.put("after_cursor", cursor);
        body.put("end_of_stream", from + page.size() >= ordered.size());
        HttpExchanges.send(exchange, 200, body);
    }

    private static int key(ObjectNode user, Instant updated, long id) {
        int byTime = Instant.parse(user.get("updated_at").asText()).compareTo(updated);
        return byTime != 0 ? byTime : Long.compare(user.get("id").asLong(), id);
    }

}
