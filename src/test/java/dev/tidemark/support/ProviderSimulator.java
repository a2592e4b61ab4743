package dev.tidemark.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A provider's REST API, really served over HTTP, over a data set the test
 * controls. One data set, every pagination kind at its own path:
 * <pre>
 *   GET /cursor/items?limit&amp;cursor&amp;updated_since        {"data": [...], "next_cursor": "…" | null}
 *   GET /next/items?limit&amp;cursor&amp;updated_since          {"data": [...], "next": "/next/items?…" | null}
 *   GET /link/items?limit&amp;cursor&amp;updated_since          [...] with Link: &lt;…&gt;; rel="next"
 *   GET /page/items?page&amp;per_page&amp;updated_since         {"data": [...]}            (pages from 1)
 *   GET /offset/items?offset&amp;limit&amp;updated_since[&amp;after_id]   {"data": [...]}
 *   GET /plain/items?offset&amp;limit                   [...] without updated_at (a resource for hash change detection)
 *   GET /ignoring/items                                 as /offset/items, but it ignores updated_since (a broken provider)
 *   GET /endless/items?limit                            the first page, whatever the offset: a list that never ends
 *   GET /items/{id}                                     the item, or 404
 *   GET /_stats                                         what it served (for a benchmark in another process)
 *   GET /_ratelimit?perSecond=N                         a new rate limit, counters from zero (the same)
 *   GET /projects, /projects/{p}/equipment, /projects/{p}/equipment/{e}/attributes
 *                                                       nested collections, as /cursor/items ({"data", "next_cursor"},
 *                                                       updated_since, after_id); 404 under a parent that does not exist
 *   GET /projects/{p}, /projects/{p}/equipment/{e}, …   one nested record, or 404
 * </pre>
 * Lists are in (updated_at, id) order; updated_since is inclusive (>=);
 * after_id makes it the compound keyset (updated_at, id) &gt; (since, after_id).
 * Cursors are keysets too, so they stay valid while the data changes.
 * Knobs: a rolling-window rate limit with RateLimit headers and 429 +
 * Retry-After, a queue of injected faults (a status, a malformed body, a
 * slow answer), a required bearer token, and a hook run before each list
 * answer (to change the data between two pages). Hostile knobs, for the
 * poller's distrust: next links to another origin, cursors that loop, and
 * answers that trickle or never end ({@link #answerNext}).
 */
public final class ProviderSimulator implements AutoCloseable {

    /** One record: its id, its updated_at (microseconds), and a value. */
    public record Item(String id, Instant updatedAt, long amount) {
    }

    /** An answer to give instead of the real one. */
    public record Fault(int status, String body, long delayMillis, Map<String, String> headers) {

        public static Fault status(int status) {
            return new Fault(status, "{\"error\":\"injected\"}", 0, Map.of());
        }

        public static Fault status(int status, Map<String, String> headers) {
            return new Fault(status, "{\"error\":\"injected\"}", 0, headers);
        }

        /** A 200 whose body is cut off mid-JSON. */
        public static Fault malformed() {
            return new Fault(200, "{\"data\": [{\"id\": \"x", 0, Map.of());
        }

        /** The real answer, after this long. */
        public static Fault slow(long millis) {
            return new Fault(-1, null, millis, Map.of());
        }
    }

    /** An answer written by hand: a hostile provider's (see {@link #trickle}, {@link #huge}). */
    @FunctionalInterface
    public interface Answer {
        void write(HttpExchange exchange) throws IOException;
    }

    /** A 200 of {@code bytes} bytes, one byte every {@code millisPerByte}: never idle long enough to time out. */
    public static Answer trickle(long millisPerByte, int bytes) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes);
            for (int i = 0; i < bytes; i++) {
                exchange.getResponseBody().write(' ');
                exchange.getResponseBody().flush();
                sleep(millisPerByte);
            }
        };
    }

    /** A 200 of {@code bytes} bytes of a JSON string, with its Content-Length or chunked (no length announced). */
    public static Answer huge(long bytes, boolean chunked) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, chunked ? 0 : bytes);
            byte[] block = new byte[64 * 1024];
            java.util.Arrays.fill(block, (byte) 'x');
            var out = exchange.getResponseBody();
            out.write('"');
            long left = bytes - 2;
            while (left > 0) {
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
            }
            out.write('"');
        };
    }

    /** A record of a nested collection (a project, an equipment, an attribute): its id, updated_at and other fields. */
    public record Node(String id, Instant updatedAt, Map<String, String> fields) {
    }

    private static final Comparator<Node> NODE_ORDER = Comparator.comparing(Node::updatedAt).thenComparing(Node::id);

    private static final Comparator<Item> ORDER = Comparator.comparing(Item::updatedAt).thenComparing(Item::id);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final java.util.concurrent.ExecutorService executor = Executors.newFixedThreadPool(4);
    private final Map<String, Item> items = new ConcurrentHashMap<>();
    private final NavigableSet<Item> ordered = new ConcurrentSkipListSet<>(ORDER);
    private final Deque<Fault> faults = new ArrayDeque<>();
    /** Faults for single-record calls only (/items/{id}), so that polls running meanwhile do not take them. */
    private final Deque<Fault> recordFaults = new ArrayDeque<>();
    /** Nested collections by path segments, "projects" or "projects", p, "equipment", …: their records in (updated_at, id) order. */
    private final Map<List<String>, NavigableSet<Node>> collections = new ConcurrentHashMap<>();
    private final Map<List<String>, AtomicInteger> collectionCalls = new ConcurrentHashMap<>();
    private final List<String> listedCollections = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    private final AtomicInteger listCalls = new AtomicInteger();
    private final AtomicInteger recordCalls = new AtomicInteger();
    private final AtomicInteger tooMany = new AtomicInteger();
    private volatile IntConsumer beforeList = call -> { };
    private final Deque<Answer> answers = new ArrayDeque<>();
    private final List<String> answeredPaths = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Where next links point (scheme://host:port), instead of this server; null for this server. */
    private volatile String linkOrigin;
    /** Cursors handed out in a loop instead of real ones: the first page gives the first, each the next, round again. */
    private volatile List<String> cursorLoop;
    // OAuth2: the token endpoint at /oauth/token, and the tokens it issued (token -> expiry).
    private volatile boolean oauth;
    private volatile String clientId;
    private volatile String clientSecret;
    private volatile long lifetimeMillis;
    private volatile String currentRefreshToken;
    private volatile boolean refuseGrants;
    private final Map<String, Long> accessTokens = new ConcurrentHashMap<>();
    private final AtomicInteger tokenRequests = new AtomicInteger();
    private final AtomicInteger unauthorized = new AtomicInteger();
    private volatile String bearer;
    private volatile int perSecond;
    private final Deque<Long> admitted = new ArrayDeque<>();
    /** List calls per wall-clock second since the first one, for benchmarks. */
    private final List<Integer> listCallSeconds = new ArrayList<>();
    private long firstListSecond = -1;

    public ProviderSimulator(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // --- the data set -----------------------------------------------------------------

    /** Creates or replaces a record. */
    public synchronized void put(String id, Instant updatedAt, long amount) {
        Item item = new Item(id, updatedAt.truncatedTo(ChronoUnit.MICROS), amount);
        Item old = items.put(id, item);
        if (old != null) {
            ordered.remove(old);
        }
        ordered.add(item);
    }

    public synchronized void delete(String id) {
        Item old = items.remove(id);
        if (old != null) {
            ordered.remove(old);
        }
    }

    public synchronized void clear() {
        items.clear();
        ordered.clear();
        collections.clear();
    }

    // --- nested collections ---------------------------------------------------------------

    /**
     * Creates or replaces the record {@code id} of the collection at
     * {@code collection} (path segments: "projects", or "projects", "p1",
     * "equipment"). The collection's parent must exist.
     */
    public synchronized void putNode(List<String> collection, String id, Instant updatedAt, Map<String, String> fields) {
        if (collection.size() > 1 && node(collection.subList(0, collection.size() - 1)).isEmpty()) {
            throw new IllegalArgumentException("no parent record at " + collection.subList(0, collection.size() - 1));
        }
        NavigableSet<Node> set = collections.computeIfAbsent(List.copyOf(collection), c -> new ConcurrentSkipListSet<>(NODE_ORDER));
        set.removeIf(node -> node.id().equals(id));
        set.add(new Node(id, updatedAt.truncatedTo(ChronoUnit.MICROS), Map.copyOf(fields)));
    }

    /** Deletes a nested record and every collection under it. */
    public synchronized void deleteNode(List<String> collection, String id) {
        NavigableSet<Node> set = collections.get(collection);
        if (set != null) {
            set.removeIf(node -> node.id().equals(id));
        }
        List<String> under = new ArrayList<>(collection);
        under.add(id);
        collections.keySet().removeIf(path -> path.size() > under.size() && path.subList(0, under.size()).equals(under));
    }

    /** The records of one nested collection now, by id. */
    public Map<String, Node> nodes(List<String> collection) {
        Map<String, Node> copy = new HashMap<>();
        collections.getOrDefault(collection, new ConcurrentSkipListSet<>(NODE_ORDER)).forEach(node -> copy.put(node.id(), node));
        return copy;
    }

    /** List calls made on one nested collection. */
    public int collectionCalls(List<String> collection) {
        AtomicInteger calls = collectionCalls.get(collection);
        return calls == null ? 0 : calls.get();
    }

    /** The nested collections listed, in the order of the calls (a call per page). */
    public List<String> listedCollections() {
        synchronized (listedCollections) {
            return List.copyOf(listedCollections);
        }
    }

    /** The record at {@code path} (a collection's segments and an id), if there is one. */
    private Optional<Node> node(List<String> path) {
        if (path.isEmpty()) {
            return Optional.empty();
        }
        NavigableSet<Node> set = collections.get(path.subList(0, path.size() - 1));
        String id = path.get(path.size() - 1);
        return set == null ? Optional.empty() : set.stream().filter(node -> node.id().equals(id)).findFirst();
    }

    /** Every record now, by id. */
    public Map<String, Item> data() {
        return Map.copyOf(items);
    }

    // --- knobs and counters ---------------------------------------------------------------

    /** Resets every knob and counter (not the data). */
    public synchronized void reset() {
        faults.clear();
        recordFaults.clear();
        answers.clear();
        answeredPaths.clear();
        linkOrigin = null;
        cursorLoop = null;
        served.clear();
        collectionCalls.clear();
        listedCollections.clear();
        listCalls.set(0);
        listCallSeconds.clear();
        firstListSecond = -1;
        recordCalls.set(0);
        tooMany.set(0);
        beforeList = call -> { };
        bearer = null;
        perSecond = 0;
        oauth = false;
        refuseGrants = false;
        accessTokens.clear();
        tokenRequests.set(0);
        unauthorized.set(0);
    }

    /**
     * Turns on OAuth2: list calls need an access token from /oauth/token, valid
     * {@code lifetimeMillis}; a refresh token grant must present the current
     * refresh token and gets a new one (rotation), the old one refused.
     */
    public void oauth(String clientId, String clientSecret, long lifetimeMillis, String refreshToken) {
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.lifetimeMillis = lifetimeMillis;
        this.currentRefreshToken = refreshToken;
        this.oauth = true;
    }

    /** Every access token issued so far stops working (a revocation). */
    public void revokeAccessTokens() {
        accessTokens.clear();
    }

    /** The token endpoint answers every grant with invalid_grant. */
    public void refuseGrants() {
        refuseGrants = true;
    }

    public String currentRefreshToken() {
        return currentRefreshToken;
    }

    public int tokenRequests() {
        return tokenRequests.get();
    }

    /** List or record calls answered 401. */
    public int unauthorized() {
        return unauthorized.get();
    }

    /** The next single-record calls answer these, in order (not counted in {@link #recordCalls()}). */
    public synchronized void failRecordCalls(Fault... next) {
        recordFaults.addAll(List.of(next));
    }

    public synchronized void fail(Fault... next) {
        faults.addAll(List.of(next));
    }

    /** The next calls, of any endpoint (the OAuth2 token endpoint too), are answered so, in order. */
    public synchronized void answerNext(Answer... next) {
        answers.addAll(List.of(next));
    }

    /** The paths of the calls {@link #answerNext} answered, in order. */
    public List<String> answeredPaths() {
        synchronized (answeredPaths) {
            return List.copyOf(answeredPaths);
        }
    }

    /** Next links (next-url and Link header) name {@code origin} (scheme://host:port, or with user-info) instead of this server. */
    public void linkOrigin(String origin) {
        linkOrigin = origin;
    }

    /** Cursor lists hand out these cursors in a loop (one cursor: a page that returns its own again). */
    public void cursorLoop(String... cursors) {
        cursorLoop = List.of(cursors);
    }

    public void requireBearer(String token) {
        bearer = token;
    }

    /** At most {@code limit} calls per one-second window; 0 for none. */
    public synchronized void rateLimit(int limit) {
        perSecond = limit;
        admitted.clear();
    }

    /** Runs before each list answer is built, with the list call's number (1 for the first). */
    public void beforeList(IntConsumer hook) {
        beforeList = hook;
    }

    public int listCalls() {
        return listCalls.get();
    }

    /** Calls of the single-record endpoint. */
    public int recordCalls() {
        return recordCalls.get();
    }

    public int tooManyRequests() {
        return tooMany.get();
    }

    /** How many times each record was returned by a list call. */
    public Map<String, Integer> served() {
        Map<String, Integer> copy = new HashMap<>();
        served.forEach((id, n) -> copy.put(id, n.get()));
        return copy;
    }

    // --- HTTP ---------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Answer answer;
            synchronized (this) {
                answer = answers.poll();
            }
            if (answer != null) {
                answeredPaths.add(exchange.getRequestURI().getPath());
                answer.write(exchange);
                return;
            }
            if (exchange.getRequestURI().getPath().equals("/_stats")) {
                ObjectNode stats = JSON.createObjectNode().put("listCalls", listCalls.get()).put("recordCalls", recordCalls.get())
                        .put("tooManyRequests", tooMany.get()).put("records", items.size());
                ArrayNode perSecond = stats.putArray("listCallsPerSecond");
                synchronized (this) {
                    listCallSeconds.forEach(perSecond::add);
                }
                send(exchange, 200, stats.toString(), Map.of());
                return;
            }
            if (exchange.getRequestURI().getPath().equals("/_ratelimit")) {
                // For benchmarks in another process: a new limit, and the counters from zero.
                int limit = Integer.parseInt(HttpExchanges.query(exchange.getRequestURI().getRawQuery()).getOrDefault("perSecond", "0"));
                reset();
                rateLimit(limit);
                send(exchange, 204, "", Map.of());
                return;
            }
            if (exchange.getRequestURI().getPath().equals("/oauth/token")) {
                token(exchange);
                return;
            }
            if (oauth && !validAccessToken(exchange.getRequestHeaders().getFirst("Authorization"))) {
                unauthorized.incrementAndGet();
                send(exchange, 401, "{\"error\":\"invalid_token\"}", Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
                return;
            }
            if (bearer != null && !("Bearer " + bearer).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, 401, "{\"error\":\"unauthorized\"}", Map.of());
                return;
            }
            Map<String, String> quota = new HashMap<>();
            if (!admit(quota)) {
                tooMany.incrementAndGet();
                quota.put("Retry-After", "1");
                send(exchange, 429, "{\"error\":\"rate limited\"}", quota);
                return;
            }
            String path = exchange.getRequestURI().getPath();
            Map<String, String> query = HttpExchanges.query(exchange.getRequestURI().getRawQuery());
            String kind = path.endsWith("/items") ? path.substring(1, path.length() - "/items".length()) : "";
            boolean list = List.of("cursor", "next", "link", "page", "offset", "plain", "ignoring", "endless").contains(kind);
            boolean nestedList = path.startsWith("/projects") && exchange.getRequestURI().getRawPath().substring(1).split("/").length % 2 == 1;
            if (list || nestedList) {
                synchronized (this) {
                    long second = System.currentTimeMillis() / 1000;
                    if (firstListSecond < 0) {
                        firstListSecond = second;
                    }
                    int index = (int) (second - firstListSecond);
                    while (listCallSeconds.size() <= index) {
                        listCallSeconds.add(0);
                    }
                    listCallSeconds.set(index, listCallSeconds.get(index) + 1);
                }
                // First the hook, so that a fault it injects is this call's answer.
                beforeList.accept(listCalls.incrementAndGet());
            }
            Fault fault;
            synchronized (this) {
                fault = faults.poll();
            }
            if (fault != null && fault.delayMillis() > 0) {
                sleep(fault.delayMillis());
            }
            if (fault != null && fault.status() > 0) {
                Map<String, String> headers = new HashMap<>(quota);
                headers.putAll(fault.headers());
                send(exchange, fault.status(), fault.body(), headers);
                return;
            }
            if (path.startsWith("/projects")) {
                nested(exchange, query, quota);
                return;
            }
            if (path.startsWith("/items/")) {
                Fault recordFault;
                synchronized (this) {
                    recordFault = recordFaults.poll();
                }
                if (recordFault != null) {
                    send(exchange, recordFault.status(), recordFault.body(), quota);
                    return;
                }
                recordCalls.incrementAndGet();
                Item item = items.get(path.substring("/items/".length()));
                send(exchange, item == null ? 404 : 200, item == null ? "{\"error\":\"not found\"}" : json(item).toString(), quota);
                return;
            }
            if (!list) {
                send(exchange, 404, "{\"error\":\"no such path\"}", quota);
                return;
            }
            list(exchange, kind, query, quota);
        } catch (RuntimeException e) {
            send(exchange, 500, "{\"error\":\"simulator: " + e.getMessage().replace('"', '\'') + "\"}", Map.of());
        }
    }

    private void list(HttpExchange exchange, String kind, Map<String, String> query, Map<String, String> headers) throws IOException {
        // "ignoring" is a broken provider: it takes updated_since and pays it no heed.
        Instant since = kind.equals("ignoring") ? null : Optional.ofNullable(query.get("updated_since")).map(Instant::parse).orElse(null);
        NavigableSet<Item> view = ordered;
        List<String> loop = cursorLoop;
        if (loop != null && kind.equals("cursor")) {
            // A broken provider: whatever the cursor, the first page, and the loop's next cursor.
            int at = query.containsKey("cursor") ? loop.indexOf(query.get("cursor")) : -1;
            int size = Integer.parseInt(query.getOrDefault("limit", "100"));
            ArrayNode data = JSON.createArrayNode();
            ordered.stream().limit(size).forEach(item -> data.add(json(item)));
            ObjectNode body = JSON.createObjectNode().set("data", data);
            body.put("next_cursor", loop.get((at + 1) % loop.size()));
            send(exchange, 200, body.toString(), headers);
            return;
        }
        if (query.containsKey("cursor")) {
            String[] at = new String(Base64.getUrlDecoder().decode(query.get("cursor")), StandardCharsets.UTF_8).split("\\|", 2);
            view = ordered.tailSet(new Item(at[1], Instant.parse(at[0]), 0), false);
        } else if (since != null && query.containsKey("after_id")) {
            view = ordered.tailSet(new Item(query.get("after_id"), since, 0), false);
        } else if (since != null) {
            view = ordered.tailSet(new Item("", since, 0), true);
        }
        int size;
        long skip;
        switch (kind) {
            case "page" -> {
                size = Integer.parseInt(query.getOrDefault("per_page", "100"));
                skip = (Long.parseLong(query.getOrDefault("page", "1")) - 1) * size;
            }
            case "offset", "plain", "ignoring" -> {
                size = Integer.parseInt(query.getOrDefault("limit", "100"));
                skip = Long.parseLong(query.getOrDefault("offset", "0"));
            }
            case "endless" -> {
                size = Integer.parseInt(query.getOrDefault("limit", "100"));
                skip = 0;
            }
            default -> {
                size = Integer.parseInt(query.getOrDefault("limit", "100"));
                skip = 0;
            }
        }
        List<Item> page = new ArrayList<>(size);
        Iterator<Item> it = view.iterator();
        for (long i = 0; i < skip && it.hasNext(); i++) {
            it.next();
        }
        while (page.size() < size && it.hasNext()) {
            page.add(it.next());
        }
        boolean more = it.hasNext();
        ArrayNode data = JSON.createArrayNode();
        page.forEach(item -> {
            ObjectNode node = json(item);
            if (kind.equals("plain")) {
                node.remove("updated_at");
            }
            data.add(node);
            served.computeIfAbsent(item.id(), id -> new AtomicInteger()).incrementAndGet();
        });
        String next = null;
        if (more && !page.isEmpty()) {
            Item last = page.get(page.size() - 1);
            String cursor = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((last.updatedAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
            next = "/" + kind + "/items?limit=" + size + "&cursor=" + cursor;
            if (linkOrigin != null) {
                next = linkOrigin + next;
            }
        }
        Map<String, String> out = new HashMap<>(headers);
        switch (kind) {
            case "cursor" -> {
                ObjectNode body = JSON.createObjectNode().set("data", data);
                body.put("next_cursor", next == null ? null : next.substring(next.indexOf("cursor=") + "cursor=".length()));
                send(exchange, 200, body.toString(), out);
            }
            case "next" -> {
                ObjectNode body = JSON.createObjectNode().set("data", data);
                body.put("next", next);
                send(exchange, 200, body.toString(), out);
            }
            case "plain" -> send(exchange, 200, data.toString(), out);
            case "link" -> {
                if (next != null) {
                    String target = linkOrigin != null ? next : baseUrl() + next;
                    out.put("Link", "<" + baseUrl() + "/first>; rel=\"first\", <" + target + ">; rel=\"next\"");
                }
                send(exchange, 200, data.toString(), out);
            }
            default -> send(exchange, 200, JSON.createObjectNode().set("data", data).toString(), out);
        }
    }

    /**
     * A nested path: an even number of segments is a collection ("projects",
     * p, "equipment"), listed if its parent exists; an odd one is a record.
     */
    private void nested(HttpExchange exchange, Map<String, String> query, Map<String, String> headers) throws IOException {
        List<String> segments = new ArrayList<>();
        for (String raw : exchange.getRequestURI().getRawPath().substring(1).split("/")) {
            segments.add(URLDecoder.decode(raw, StandardCharsets.UTF_8));
        }
        if (segments.size() % 2 == 0) {
            recordCalls.incrementAndGet();
            Optional<Node> node = node(segments);
            send(exchange, node.isPresent() ? 200 : 404, node.map(ProviderSimulator::json).map(Object::toString)
                    .orElse("{\"error\":\"not found\"}"), headers);
            return;
        }
        if (segments.size() > 1 && node(segments.subList(0, segments.size() - 1)).isEmpty()) {
            send(exchange, 404, "{\"error\":\"no such parent\"}", headers);
            return;
        }
        collectionCalls.computeIfAbsent(List.copyOf(segments), c -> new AtomicInteger()).incrementAndGet();
        listedCollections.add(String.join("/", segments));
        NavigableSet<Node> all = collections.getOrDefault(segments, new ConcurrentSkipListSet<>(NODE_ORDER));
        Instant since = Optional.ofNullable(query.get("updated_since")).map(Instant::parse).orElse(null);
        NavigableSet<Node> view = all;
        if (query.containsKey("cursor")) {
            String[] at = new String(Base64.getUrlDecoder().decode(query.get("cursor")), StandardCharsets.UTF_8).split("\\|", 2);
            view = all.tailSet(new Node(at[1], Instant.parse(at[0]), Map.of()), false);
        } else if (since != null && query.containsKey("after_id")) {
            view = all.tailSet(new Node(query.get("after_id"), since, Map.of()), false);
        } else if (since != null) {
            view = all.tailSet(new Node("", since, Map.of()), true);
        }
        int size = Integer.parseInt(query.getOrDefault("limit", "100"));
        ArrayNode data = JSON.createArrayNode();
        Iterator<Node> it = view.iterator();
        Node last = null;
        while (data.size() < size && it.hasNext()) {
            last = it.next();
            data.add(json(last));
            served.computeIfAbsent(String.join("/", segments) + "/" + last.id(), id -> new AtomicInteger()).incrementAndGet();
        }
        ObjectNode body = JSON.createObjectNode().set("data", data);
        body.put("next_cursor", it.hasNext() && last != null ? Base64.getUrlEncoder().withoutPadding()
                .encodeToString((last.updatedAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8)) : null);
        send(exchange, 200, body.toString(), headers);
    }

    private static ObjectNode json(Node node) {
        ObjectNode json = JSON.createObjectNode();
        json.put("id", node.id());
        json.put("updated_at", node.updatedAt().toString());
        node.fields().forEach(json::put);
        return json;
    }

    private boolean validAccessToken(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        Long expiry = accessTokens.get(authorization.substring("Bearer ".length()));
        return expiry != null && expiry > System.currentTimeMillis();
    }

    private synchronized void token(HttpExchange exchange) throws IOException {
        tokenRequests.incrementAndGet();
        Map<String, String> form = HttpExchanges.query(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String basic = "Basic " + Base64.getEncoder().encodeToString((clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
        if (!basic.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            send(exchange, 401, "{\"error\":\"invalid_client\"}", Map.of());
            return;
        }
        String grant = form.get("grant_type");
        if (refuseGrants || ("refresh_token".equals(grant) && !form.getOrDefault("refresh_token", "").equals(currentRefreshToken))) {
            send(exchange, 400, "{\"error\":\"invalid_grant\"}", Map.of());
            return;
        }
        if (!"refresh_token".equals(grant) && !"client_credentials".equals(grant)) {
            send(exchange, 400, "{\"error\":\"unsupported_grant_type\"}", Map.of());
            return;
        }
        String access = "at-" + java.util.UUID.randomUUID();
        accessTokens.put(access, System.currentTimeMillis() + lifetimeMillis);
        ObjectNode body = JSON.createObjectNode().put("access_token", access).put("token_type", "Bearer")
                .put("expires_in", Math.max(1, lifetimeMillis / 1000));
        if ("refresh_token".equals(grant)) {
            currentRefreshToken = "rt-" + java.util.UUID.randomUUID();
            body.put("refresh_token", currentRefreshToken);
        }
        send(exchange, 200, body.toString(), Map.of());
    }

    /**
     * A rolling one-second window, as providers that count "N per second"
     * usually do: true if fewer than the limit were admitted in the last
     * second; fills the quota headers either way (IETF draft names, and the
     * policy, so a client can pace itself).
     */
    private synchronized boolean admit(Map<String, String> headers) {
        if (perSecond <= 0) {
            return true;
        }
        long now = System.nanoTime();
        while (!admitted.isEmpty() && now - admitted.peekFirst() >= 1_000_000_000L) {
            admitted.pollFirst();
        }
        boolean admit = admitted.size() < perSecond;
        if (admit) {
            admitted.addLast(now);
        }
        long reset = admitted.isEmpty() ? 0 : (long) Math.ceil((admitted.peekFirst() + 1_000_000_000L - now) / 1e9);
        headers.put("RateLimit-Limit", Integer.toString(perSecond));
        headers.put("RateLimit-Remaining", Integer.toString(perSecond - admitted.size()));
        headers.put("RateLimit-Reset", Long.toString(reset));
        headers.put("RateLimit-Policy", perSecond + ";w=1");
        return admit;
    }

    private static ObjectNode json(Item item) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", item.id());
        node.put("updated_at", item.updatedAt().toString());
        node.put("amount", item.amount());
        return node;
    }

    private static void send(HttpExchange exchange, int status, String body, Map<String, String> headers) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
