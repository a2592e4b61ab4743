package dev.tidemark.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Shopify's REST Admin API as far as the shopify template reads it, really served over HTTP:
 * {@code GET /admin/api/<version>/<collection>.json?limit=} lists by id, 1–250 a page, the next page in a
 * {@code Link: <…?limit=…&page_info=…>; rel="next"} header, and a request with {@code page_info} may carry only
 * {@code limit} and {@code fields} (anything else is Shopify's 400); {@code GET …/<collection>/<id>.json} is
 * {@code {"<singular>": {...}}} or a 404. The access token in {@code X-Shopify-Access-Token} or a 401; every answer
 * says {@code X-Shopify-Shop-Api-Call-Limit}; a leaky bucket ({@link #bucket}) answers 429 with Retry-After once full.
 */
public final class ShopifyApi extends SimulatedApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PAGE_INFO_ALLOWED = Set.of("limit", "fields", "page_info");

    private final String token;
    private final Map<String, NavigableMap<BigInteger, ObjectNode>> collections = new ConcurrentHashMap<>();
    private int bucket = 40;
    private double leakPerSecond = 1_000;
    private double level;
    private long leakedAt = System.nanoTime();

    public ShopifyApi(int port, String token) {
        super(port);
        this.token = token;
        start();
    }

    /** The shop's API root, as the template's base-url names it: …/admin/api/2026-07. */
    public String baseUrl() {
        return origin() + "/admin/api/2026-07";
    }

    public void put(String collection, ObjectNode record) {
        collections.computeIfAbsent(collection, c -> new ConcurrentSkipListMap<>()).put(record.get("id").bigIntegerValue(), record);
    }

    public void delete(String collection, BigInteger id) {
        collections.getOrDefault(collection, new ConcurrentSkipListMap<>()).remove(id);
    }

    /** Shopify's leaky bucket: {@code size} calls, emptied at {@code leakPerSecond}; a call into a full one is a 429. */
    public synchronized void bucket(int size, double leakPerSecond) {
        this.bucket = size;
        this.leakPerSecond = leakPerSecond;
        this.level = 0;
        this.leakedAt = System.nanoTime();
    }

    public synchronized void clear() {
        collections.clear();
        forgetCalls();
        bucket(40, 1_000);
    }

    @Override
    void answer(HttpExchange exchange, Map<String, String> query) throws IOException {
        if (!token.equals(exchange.getRequestHeaders().getFirst("X-Shopify-Access-Token"))) {
            HttpExchanges.send(exchange, 401, JSON.createObjectNode().put("errors", "[API] Invalid API key or access token (unrecognized login or wrong password)"));
            return;
        }
        int filled;
        synchronized (this) {
            long now = System.nanoTime();
            level = Math.max(0, level - (now - leakedAt) / 1e9 * leakPerSecond);
            leakedAt = now;
            if (level + 1 > bucket) {
                exchange.getResponseHeaders().set("Retry-After", "2.0");
                HttpExchanges.send(exchange, 429, JSON.createObjectNode().put("errors", "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."));
                return;
            }
            level += 1;
            filled = (int) Math.ceil(level);
        }
        exchange.getResponseHeaders().set("X-Shopify-Shop-Api-Call-Limit", filled + "/" + bucket);
        String path = exchange.getRequestURI().getPath();
        String prefix = "/admin/api/2026-07/";
        if (!path.startsWith(prefix) || !path.endsWith(".json")) {
            HttpExchanges.send(exchange, 404, JSON.createObjectNode().put("errors", "Not Found"));
            return;
        }
        String[] rest = path.substring(prefix.length(), path.length() - ".json".length()).split("/");
        if (rest.length == 1) {
            list(exchange, rest[0], query);
        } else if (rest.length == 2) {
            ObjectNode record;
            try {
                record = collections.getOrDefault(rest[0], new ConcurrentSkipListMap<>()).get(new BigInteger(rest[1]));
            } catch (NumberFormatException e) {
                record = null;
            }
            if (record == null) {
                HttpExchanges.send(exchange, 404, JSON.createObjectNode().put("errors", "Not Found"));
            } else {
                ObjectNode body = JSON.createObjectNode();
                body.set(rest[0].substring(0, rest[0].length() - 1), record);
                HttpExchanges.send(exchange, 200, body);
            }
        } else {
            HttpExchanges.send(exchange, 404, JSON.createObjectNode().put("errors", "Not Found"));
        }
    }

    private void list(HttpExchange exchange, String collection, Map<String, String> query) throws IOException {
        if (query.containsKey("page_info") && !PAGE_INFO_ALLOWED.containsAll(query.keySet())) {
            HttpExchanges.send(exchange, 400, JSON.createObjectNode().put("errors", "page_info - Invalid value."));
            return;
        }
        int limit = Integer.parseInt(query.getOrDefault("limit", "50"));
        if (limit < 1 || limit > 250) {
            HttpExchanges.send(exchange, 400, JSON.createObjectNode().put("errors", "limit - Invalid value."));
            return;
        }
        NavigableMap<BigInteger, ObjectNode> all = collections.getOrDefault(collection, new ConcurrentSkipListMap<>());
        NavigableMap<BigInteger, ObjectNode> view = all;
        if (query.containsKey("page_info")) {
            BigInteger after = new BigInteger(new String(Base64.getUrlDecoder().decode(query.get("page_info")), StandardCharsets.UTF_8));
            view = all.tailMap(after, false);
        }
        List<ObjectNode> page = new ArrayList<>();
        for (ObjectNode record : view.values()) {
            if (page.size() == limit) {
                break;
            }
            if ("orders".equals(collection) && !"any".equals(query.get("status")) && !query.containsKey("page_info")
                    && record.hasNonNull("cancelled_at")) {
                continue;   // Shopify's default, status=open, leaves cancelled ones out
            }
            page.add(record);
        }
        ObjectNode body = JSON.createObjectNode();
        ArrayNode items = body.putArray(collection);
        page.forEach(items::add);
        if (!page.isEmpty() && all.higherKey(page.get(page.size() - 1).get("id").bigIntegerValue()) != null) {
            String pageInfo = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(page.get(page.size() - 1).get("id").bigIntegerValue().toString().getBytes(StandardCharsets.UTF_8));
            exchange.getResponseHeaders().set("Link", "<" + baseUrl() + "/" + collection + ".json?limit=" + limit + "&page_info=" + pageInfo
                    + ">; rel=\"next\"");
        }
        HttpExchanges.send(exchange, 200, body);
    }

}
