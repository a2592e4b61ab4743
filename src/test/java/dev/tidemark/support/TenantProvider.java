package dev.tidemark.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A provider with many customer accounts (tenants), as a real HTTP server:
 * {@code GET /t/{tenant}/items?limit&cursor&updated_since} answers the
 * tenant's own items, in updated_at order, with cursor pagination, and only
 * to that tenant's own bearer token (another tenant's is refused with 401).
 * A tenant can be made to answer 429 to its next calls.
 */
public class TenantProvider implements AutoCloseable {

    private record Item(String id, Instant updatedAt, Map<String, Object> fields) {
    }

    private final HttpServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final Map<String, List<Item>> items = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> storms = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, List<Instant>> callTimes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
    /** OAuth2 tenants: the refresh token each accepts now (rotated on every use), and the access token it issued last. */
    private final Map<String, String> refreshTokens = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> grants = new ConcurrentHashMap<>();
    private final Map<String, List<Instant>> grantTimes = new ConcurrentHashMap<>();
    /** Tenants whose API refuses every access token (a revoked app), and client-credentials tenants' secrets. */
    private final java.util.Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final Map<String, String> clientSecrets = new ConcurrentHashMap<>();
    private volatile java.time.Duration tokenLifetime = java.time.Duration.ofHours(1);
    /** With {@link #honourEarlierTokens}: every access token granted, and until when it is good. */
    private final Map<String, Instant> granted = new ConcurrentHashMap<>();
    private volatile boolean honourEarlierTokens;
    private record Previous(String token, Instant until) {
    }
    private final Map<String, Previous> previousRefreshTokens = new ConcurrentHashMap<>();
    private volatile java.time.Duration reuseInterval = java.time.Duration.ZERO;
    /** Tenants that answer only after a while, and the most calls in flight at once since the last reset. */
    private final Map<String, java.time.Duration> slow = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final Map<String, AtomicInteger> inFlightByTenant = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> peakByTenant = new ConcurrentHashMap<>();

    public TenantProvider(int port) {
        this("127.0.0.1", port);
    }

    /** On {@code host} ("0.0.0.0" for every interface). */
    public TenantProvider(String host, int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/t/", this::handle);
        server.createContext("/oauth/token", this::token);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/t/{tenant}";
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** A tenant that answers only {@code token}, with no items yet. */
    public void tenant(String tenant, String token) {
        tokens.put(tenant, token);
        items.put(tenant, new ArrayList<>());
        storms.remove(tenant);
        calls.remove(tenant);
        refused.remove(tenant);
    }

    public void put(String tenant, String id, Instant updatedAt, String name) {
        put(tenant, id, updatedAt, Map.of("name", name));
    }

    /** Adds or replaces an item of the tenant with these fields besides its id and updated_at. */
    public synchronized void put(String tenant, String id, Instant updatedAt, Map<String, Object> fields) {
        List<Item> list = items.get(tenant);
        list.removeIf(item -> item.id().equals(id));
        list.add(new Item(id, updatedAt, Map.copyOf(fields)));
        list.sort(Comparator.comparing(Item::updatedAt).thenComparing(Item::id));
    }

    /**
     * A tenant whose API takes OAuth2 access tokens: its token endpoint takes {@code refreshToken} once,
     * answering an access token and a new refresh token (rotated on every use; an old one is invalid_grant).
     */
    public void oauthTenant(String tenant, String refreshToken) {
        tenant(tenant, "none-yet");
        refreshTokens.put(tenant, refreshToken);
        grants.remove(tenant);
    }

    /** A tenant whose token endpoint grants client credentials: client id {@code cid-<tenant>} with {@code secret}. */
    public void clientTenant(String tenant, String secret) {
        tenant(tenant, "none-yet");
        clientSecrets.put(tenant, secret);
        grants.remove(tenant);
    }

    /**
     * Access tokens stay good until they expire even once a newer one is granted, as most providers' do; by
     * default only the one granted last is.
     */
    public void honourEarlierTokens() {
        honourEarlierTokens = true;
    }

    /**
     * After a rotation, the refresh token it replaced is still taken for {@code interval} (Auth0's "reuse interval",
     * Okta's grace period): a client that crashed before saving the new one can go on. None unless set.
     */
    public void reuseInterval(java.time.Duration interval) {
        reuseInterval = interval;
    }

    /** How long the access tokens granted from now on live (expires_in), one hour unless set. */
    public void tokenLifetime(java.time.Duration lifetime) {
        tokenLifetime = lifetime;
    }

    /** The tenant's list answers only after {@code delay}. */
    public void slow(String tenant, java.time.Duration delay) {
        slow.put(tenant, delay);
    }

    /** The most list calls in flight at once since {@link #resetPeak}. */
    public int peak() {
        return peak.get();
    }

    public void resetPeak() {
        peak.set(0);
        peakByTenant.clear();
    }

    /** The most calls of one tenant in flight at once since {@link #resetPeak}. */
    public int peak(String tenant) {
        return peakByTenant.getOrDefault(tenant, new AtomicInteger()).get();
    }

    /** From now on the tenant's API answers 401 to any access token, fresh ones too. */
    public void revoke(String tenant) {
        revoked.add(tenant);
    }

    /** The refresh token the tenant accepts now. */
    public String refreshToken(String tenant) {
        return refreshTokens.get(tenant);
    }

    /** How many grants the tenant's token endpoint issued. */
    public int grants(String tenant) {
        return grants.getOrDefault(tenant, new AtomicInteger()).get();
    }

    /** The tenant's next {@code n} calls answer 429 with Retry-After: {@code seconds}. */
    public void storm(String tenant, int n) {
        storms.put(tenant, new AtomicInteger(n));
    }

    /** When each refresh-token grant of the tenant was made, in order. */
    public List<Instant> grantTimes(String tenant) {
        List<Instant> times = grantTimes.getOrDefault(tenant, List.of());
        synchronized (times) {
            return List.copyOf(times);
        }
    }

    /** When each of the tenant's API calls arrived, in order. */
    public List<Instant> callTimes(String tenant) {
        List<Instant> times = callTimes.getOrDefault(tenant, List.of());
        synchronized (times) {
            return List.copyOf(times);
        }
    }

    public int calls(String tenant) {
        return calls.getOrDefault(tenant, new AtomicInteger()).get();
    }

    /** Calls refused for a wrong token. */
    public int refused(String tenant) {
        return refused.getOrDefault(tenant, new AtomicInteger()).get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String[] path = exchange.getRequestURI().getRawPath().split("/");
            // /t/{tenant}/items, and the same list as /t/{tenant}/notes
            if (path.length != 4 || !(path[3].equals("items") || path[3].equals("notes")) || !items.containsKey(path[2])) {
                send(exchange, 404, "{\"error\":\"not found\"}");
                return;
            }
            String tenant = path[2];
            calls.computeIfAbsent(tenant, t -> new AtomicInteger()).incrementAndGet();
            List<Instant> times = callTimes.computeIfAbsent(tenant, t -> new ArrayList<>());
            synchronized (times) {
                times.add(Instant.now());
            }
            int now = inFlight.incrementAndGet();
            peak.accumulateAndGet(now, Math::max);
            int mine = inFlightByTenant.computeIfAbsent(tenant, t -> new AtomicInteger()).incrementAndGet();
            peakByTenant.computeIfAbsent(tenant, t -> new AtomicInteger()).accumulateAndGet(mine, Math::max);
            try {
                java.time.Duration delay = slow.get(tenant);
                if (delay != null) {
                    try {
                        Thread.sleep(delay.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                answer(exchange, tenant);
            } finally {
                inFlight.decrementAndGet();
                inFlightByTenant.get(tenant).decrementAndGet();
            }
        }
    }

    private void answer(HttpExchange exchange, String tenant) throws IOException {
        {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            boolean earlier = honourEarlierTokens && auth != null && auth.startsWith("Bearer at-" + tenant + "-")
                    && granted.getOrDefault(auth.substring(7), Instant.MIN).isAfter(Instant.now());
            if (!(earlier || ("Bearer " + tokens.get(tenant)).equals(auth)) || revoked.contains(tenant)) {
                refused.computeIfAbsent(tenant, t -> new AtomicInteger()).incrementAndGet();
                send(exchange, 401, "{\"error\":\"invalid token\"}");
                return;
            }
            AtomicInteger storm = storms.get(tenant);
            if (storm != null && storm.getAndDecrement() > 0) {
                exchange.getResponseHeaders().add("Retry-After", "1");
                send(exchange, 429, "{\"error\":\"slow down\"}");
                return;
            }
            Map<String, String> query = HttpExchanges.query(exchange.getRequestURI().getRawQuery());
            int limit = Integer.parseInt(query.getOrDefault("limit", "50"));
            int from = Integer.parseInt(query.getOrDefault("cursor", "0"));
            Instant since = query.containsKey("updated_since") ? Instant.parse(query.get("updated_since")) : Instant.EPOCH;
            List<Item> matching;
            synchronized (this) {
                matching = items.get(tenant).stream().filter(item -> !item.updatedAt().isBefore(since)).toList();
            }
            List<Map<String, Object>> data = new ArrayList<>();
            for (int i = from; i < Math.min(matching.size(), from + limit); i++) {
                Item item = matching.get(i);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", item.id());
                row.put("updated_at", item.updatedAt().toString());
                row.putAll(item.fields());
                row.put("tenant", tenant);
                data.add(row);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("data", data);
            body.put("next_cursor", from + limit < matching.size() ? Integer.toString(from + limit) : null);
            send(exchange, 200, json.writeValueAsString(body));
        }
    }

    private void token(HttpExchange exchange) throws IOException {
        try (exchange) {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            Map<String, String> form = HttpExchanges.query(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            if ("client_credentials".equals(form.get("grant_type"))) {
                String id = clientSecrets.keySet().stream().filter(t -> ("Basic " + java.util.Base64.getEncoder().encodeToString(
                        ("cid-" + t + ":" + clientSecrets.get(t)).getBytes(StandardCharsets.UTF_8))).equals(auth)).findFirst().orElse(null);
                if (id == null) {
                    send(exchange, 401, "{\"error\":\"invalid_client\"}");
                    return;
                }
                int n = grants.computeIfAbsent(id, t -> new AtomicInteger()).incrementAndGet();
                tokens.put(id, "cc-" + id + "-" + n);
                send(exchange, 200, "{\"access_token\":\"cc-" + id + "-" + n + "\",\"token_type\":\"bearer\",\"expires_in\":3600}");
                return;
            }
            String client = "Basic " + java.util.Base64.getEncoder().encodeToString("tidemark:s3cret".getBytes(StandardCharsets.UTF_8));
            if (!client.equals(auth)) {
                send(exchange, 401, "{\"error\":\"invalid_client\"}");
                return;
            }
            String presented = form.get("refresh_token");
            String tenant = refreshTokens.entrySet().stream().filter(e -> e.getValue().equals(presented)).map(Map.Entry::getKey)
                    .findFirst().orElse(null);
            if (tenant == null && presented != null) {
                // Within the reuse interval, the refresh token a rotation replaced is still taken.
                tenant = previousRefreshTokens.entrySet().stream().filter(e -> e.getValue().token().equals(presented)
                        && e.getValue().until().isAfter(Instant.now())).map(Map.Entry::getKey).findFirst().orElse(null);
            }
            if (!"refresh_token".equals(form.get("grant_type")) || tenant == null) {
                send(exchange, 400, "{\"error\":\"invalid_grant\"}");
                return;
            }
            int n = grants.computeIfAbsent(tenant, t -> new AtomicInteger()).incrementAndGet();
            grantTimes.computeIfAbsent(tenant, t -> java.util.Collections.synchronizedList(new ArrayList<>())).add(Instant.now());
            String access = "at-" + tenant + "-" + n;
            String rotated = "rt-" + tenant + "-" + n;
            tokens.put(tenant, access);
            granted.put(access, Instant.now().plus(tokenLifetime));
            String replaced = refreshTokens.put(tenant, rotated);
            if (!reuseInterval.isZero() && replaced != null) {
                previousRefreshTokens.put(tenant, new Previous(replaced, Instant.now().plus(reuseInterval)));
            }
            send(exchange, 200, "{\"access_token\":\"" + access + "\",\"token_type\":\"bearer\",\"expires_in\":" + tokenLifetime.toSeconds() + ","
                    + "\"refresh_token\":\"" + rotated + "\"}");
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
