package dev.tidemark.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slack's Web API as far as the slack template reads it, really served over HTTP: {@code GET /api/users.list}
 * ({@code limit} 1–1000, {@code cursor}; {@code {"ok": true, "members": [...], "response_metadata": {"next_cursor"}}},
 * the cursor an opaque base64 of the last member, empty on the last page), {@code GET /api/users.info?user=}.
 * Slack's errors are {@code 200 {"ok": false, "error": "..."}} (a bad token, cursor or user); its rate limit is a
 * {@code 429} with {@code Retry-After}. Members are Slack's own published ones (its users.list example).
 */
public final class SlackApi extends SimulatedApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String token;
    private final NavigableMap<String, ObjectNode> members = new ConcurrentSkipListMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile int limitedEvery;

    public SlackApi(int port, String token) {
        super(port);
        this.token = token;
        start();
    }

    public String baseUrl() {
        return origin() + "/api";
    }

    /** The members of Slack's users.list example (docs.slack.dev), each a fresh copy. */
    public static List<ObjectNode> publishedMembers() {
        try (InputStream in = SlackApi.class.getResourceAsStream("/providers/slack/users.list.json")) {
            List<ObjectNode> members = new ArrayList<>();
            JsonNode examples = JSON.readTree(in);
            examples.get(0).get("members").forEach(member -> members.add((ObjectNode) member.deepCopy()));
            return members;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void put(ObjectNode member) {
        members.put(member.get("id").asText(), member);
    }

    /** Every n-th call is answered 429 with Retry-After: 1 (0: never). */
    public void rateLimitEvery(int n) {
        limitedEvery = n;
    }

    public void clear() {
        members.clear();
        forgetCalls();
        count.set(0);
        limitedEvery = 0;
    }

    /** The calls answered, as "GET /api/users.list?limit=200&amp;cursor=…", 429s included. */

    @Override
    void answer(HttpExchange exchange, Map<String, String> query) throws IOException {
        int n = count.incrementAndGet();
        if (limitedEvery > 0 && n % limitedEvery == 0) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            HttpExchanges.send(exchange, 429, JSON.createObjectNode().put("ok", false).put("error", "ratelimited"));
            return;
        }
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            HttpExchanges.send(exchange, 200, error("not_authed"));
            return;
        }
        switch (exchange.getRequestURI().getPath()) {
            case "/api/users.list" -> list(exchange, query);
            case "/api/users.info" -> {
                ObjectNode member = members.get(query.getOrDefault("user", ""));
                if (member == null) {
                    HttpExchanges.send(exchange, 200, error("user_not_found"));
                } else {
                    ObjectNode body = JSON.createObjectNode().put("ok", true);
                    body.set("user", member);
                    HttpExchanges.send(exchange, 200, body);
                }
            }
            default -> HttpExchanges.send(exchange, 404, error("unknown_method"));
        }
    }

    private void list(HttpExchange exchange, Map<String, String> query) throws IOException {
        int limit = Integer.parseInt(query.getOrDefault("limit", "0"));
        if (limit <= 0 || limit > 1000) {
            limit = 1000;   // Slack: "no limit" and one above its maximum both mean as many as it will send
        }
        String after = null;
        String cursor = query.getOrDefault("cursor", "");
        if (!cursor.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                decoded = "";
            }
            if (!decoded.startsWith("user:")) {
                HttpExchanges.send(exchange, 200, error("invalid_cursor"));
                return;
            }
            after = decoded.substring("user:".length());
        }
        List<ObjectNode> page = new ArrayList<>();
        var view = after == null ? members : members.tailMap(after, false);
        for (ObjectNode member : view.values()) {
            if (page.size() == limit) {
                break;
            }
            page.add(member);
        }
        boolean more = !page.isEmpty() && members.higherKey(page.get(page.size() - 1).get("id").asText()) != null;
        ObjectNode body = JSON.createObjectNode().put("ok", true);
        ArrayNode data = body.putArray("members");
        page.forEach(data::add);
        body.put("cache_ts", System.currentTimeMillis() / 1000);
        body.putObject("response_metadata").put("next_cursor", more
                ? Base64.getEncoder().encodeToString(("user:" + page.get(page.size() - 1).get("id").asText()).getBytes(StandardCharsets.UTF_8))
                : "");
        HttpExchanges.send(exchange, 200, body);
    }

    private static ObjectNode error(String code) {
        return JSON.createObjectNode().put("ok", false).put("error", code);
    }

}
