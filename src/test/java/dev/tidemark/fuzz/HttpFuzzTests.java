package dev.tidemark.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.SignedWebhook;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A fuzz campaign over every HTTP surface: webhooks (bodies and headers of
 * every signature scheme, content types empty, malformed and repeated, form
 * bodies, oversized values), the read and admin API (path segments, query
 * values, JSON bodies, tokens, methods) and the status page. Whatever is
 * sent, the answer is never a 5xx (DESIGN invariant 6; SPEC: never a 500 for
 * bad input).
 *
 * <p>Reproducible: request {@code i} of a surface draws from
 * {@code new Random(seed * 31 + i)}, so a failure names its seed and index and
 * {@code -Dfuzz.seed=S -Dfuzz.only=I} sends that one request again. A sample
 * ({@code fuzz.requests}, 1,000 per surface) runs in {@code ./mvnw verify};
 * bench/http-fuzz.sh runs 100,000 per surface on {@code fuzz.threads}.
 * Requests go through the JDK's client where it will send them, and as raw
 * bytes over a socket where it will not (control characters, a NUL, a header
 * it forbids) or where the campaign asks for raw bytes on purpose.
 *
 * <p>jqwik was considered, as the issue suggests: its 1.10 line is built on
 * JUnit Platform 1, this build runs Platform 6 (Quarkus 3.34), and its engine
 * cannot host a {@code @QuarkusTest}; seeded generators of our own keep the
 * campaign inside the running application's test.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class HttpFuzzTests {

    static final int REQUESTS = Integer.getInteger("fuzz.requests", 1_000);
    static final int THREADS = Integer.getInteger("fuzz.threads", 1);
    /** Fixed in ./mvnw verify, so a run is the same every time; bench/http-fuzz.sh draws a new one. */
    static final long SEED = Long.getLong("fuzz.seed", 20261201L);
    /** The time the campaign signs with: fixed per campaign (printed), so a request is its seed and index alone. */
    static final long NOW = Long.getLong("fuzz.now", Instant.now().getEpochSecond());
    static final int ONLY = Integer.getInteger("fuzz.only", -1);
    static final String TOKEN = "test-token";

    @TestHTTPResource("/")
    URI app;

    /** HTTP/1.1 as providers and scanners speak it (the JDK would otherwise try an h2c upgrade). */
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

    /** One request as the campaign made it. */
    record Fuzzed(String method, String target, List<String[]> headers, byte[] body, boolean raw) {
    }

    @Test
    void webhooksNeverAnswer5xx() throws Exception {
        campaign("webhooks", HttpFuzzTests::webhook);
    }

    @Test
    void theApiNeverAnswers5xx() throws Exception {
        campaign("api", HttpFuzzTests::api);
    }

    @Test
    void theStatusPageNeverAnswers5xx() throws Exception {
        campaign("status page", HttpFuzzTests::statusPage);
    }

    /** The campaign signs as every scheme does: a well-formed delivery of each is accepted, so its mangled ones reach mapping. */
    @Test
    void theCampaignSignsAsEachSchemeDoes() throws Exception {
        Map<String, String> bodies = Map.of(
                "shop", "{\"type\":\"order.updated\",\"data\":{\"id\":\"fz-1\",\"updated_at\":\"2026-11-24T10:00:00Z\"}}",
                "chat", "{\"type\":\"block_actions\",\"trigger_id\":\"fz-1\",\"action_ts\":\"1700000000\"}",
                "fzstripe", "{\"type\":\"charge.updated\",\"data\":{\"object\":{\"id\":\"fz-1\",\"updated_at\":\"2026-11-24T10:00:00Z\"}}}",
                "fzsw", "{\"type\":\"item.updated\",\"data\":{\"id\":\"fz-1\",\"updated_at\":\"2026-11-24T10:00:00Z\"}}");
        for (Map.Entry<String, String> source : bodies.entrySet()) {
            byte[] body = source.getValue().getBytes(StandardCharsets.UTF_8);
            List<String[]> headers = new ArrayList<>(signed(source.getKey(), body, Instant.now().getEpochSecond(), new Random(1)));
            headers.add(new String[] {"Content-Type", "application/json"});
            int status = send(new Fuzzed("POST", "/webhooks/" + source.getKey(), headers, body, false));
            assertThat(status).as(source.getKey()).isEqualTo(202);
        }
        for (String source : List.of("gh", "fzshopify")) {
            // Their event type is a header the campaign draws at random: verified, whatever it maps to.
            byte[] body = "{\"id\":1,\"updated_at\":\"2026-11-24T10:00:00Z\",\"issue\":{\"id\":1,\"updated_at\":\"2026-11-24T10:00:00Z\"}}"
                    .getBytes(StandardCharsets.UTF_8);
            List<String[]> headers = new ArrayList<>(signed(source, body, Instant.now().getEpochSecond(), new Random(1)));
            headers.add(new String[] {"Content-Type", "application/json"});
            assertThat(send(new Fuzzed("POST", "/webhooks/" + source, headers, body, false))).as(source).isNotEqualTo(401).isLessThan(500);
        }
    }

    void campaign(String surface, Function<Random, Fuzzed> generator) throws Exception {
        System.out.printf("fuzz %s: seed %d (-Dfuzz.seed=%d -Dfuzz.now=%d to replay), %d requests on %d threads%n", surface, SEED,
                SEED, NOW, REQUESTS, THREADS);
        Map<Integer, AtomicInteger> statuses = new ConcurrentSkipListMap<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicInteger next = new AtomicInteger(ONLY >= 0 ? ONLY : 0);
        int end = ONLY >= 0 ? ONLY + 1 : REQUESTS;
        long started = System.nanoTime();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < end && failures.size() < 10; i = next.getAndIncrement()) {
                    Fuzzed request = generator.apply(new Random(SEED ^ (i * 0x9E3779B97F4A7C15L)));
                    int status;
                    try {
                        status = send(request);
                    } catch (Exception e) {
                        failures.add("request " + i + ": " + e);
                        continue;
                    }
                    statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    // No answer at all (a connection refused or reset) is a failure too: a crashed server answers nothing.
                    if (status >= 500 || status < 0) {
                        failures.add("request " + i + " (-Dfuzz.seed=" + SEED + " -Dfuzz.only=" + i + "): " + status + " for "
                                + request.method() + " " + shorten(request.target()));
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
        Map<Integer, Integer> counts = new TreeMap<>();
        statuses.forEach((status, n) -> counts.put(status, n.get()));
        System.out.printf("fuzz %s: seed %d, %d requests in %d s, statuses %s (-1: the connection closed without an answer)%n",
                surface, SEED, counts.values().stream().mapToInt(Integer::intValue).sum(),
                Duration.ofNanos(System.nanoTime() - started).toSeconds(), counts);
        assertThat(failures).as("seed %d: statuses %s", SEED, counts).isEmpty();
        assertThat(counts.keySet()).as("answers of every kind, not only refusals").anyMatch(s -> s < 300).anyMatch(s -> s >= 400);
    }

    static String shorten(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    // --- sending ----------------------------------------------------------------------------

    int send(Fuzzed request) throws Exception {
        if (!request.raw()) {
            try {
                HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(app.toString().replaceAll("/$", "") + request.target()))
                        .timeout(Duration.ofSeconds(30))
                        .method(request.method(), request.body() == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(request.body()));
                for (String[] header : request.headers()) {
                    builder.header(header[0], header[1]);
                }
                return http.send(builder.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IllegalArgumentException | java.io.IOException refusedByTheClient) {
                // Not a URI or a header the JDK will send, or a request its client cannot finish (a HEAD with a
                // Range it misreads): the same request as raw bytes, whose answer's status line is all that counts.
            }
        }
        return sendRaw(request);
    }

    /** The request as bytes over a socket: whatever the campaign made, however malformed. -1 when closed without an answer. */
    int sendRaw(Fuzzed request) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String target = request.target().replace(" ", "%20").replace("\r", "%0D").replace("\n", "%0A");
        bytes.writeBytes((request.method() + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        for (String[] header : request.headers()) {
            String value = header[1].replace("\r", "").replace("\n", "");
            bytes.writeBytes((header[0] + ": ").getBytes(StandardCharsets.ISO_8859_1));
            bytes.writeBytes(value.getBytes(StandardCharsets.UTF_8));
            bytes.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        byte[] body = request.body() == null ? new byte[0] : request.body();
        bytes.writeBytes(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        bytes.writeBytes(body);
        try (Socket socket = new Socket(app.getHost(), app.getPort())) {
            socket.setSoLinger(true, 0);   // no TIME_WAIT: a long campaign opens a great many of these
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(bytes.toByteArray());
                out.flush();
            } catch (IOException closedEarly) {
                // The server may answer (413, 431) and close before the whole request is written.
            }
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n' && line.length() < 100) {
                line.append((char) c);
            }
            String[] parts = line.toString().trim().split(" ");
            return parts.length >= 2 && parts[0].startsWith("HTTP/") ? Integer.parseInt(parts[1]) : -1;
        } catch (java.net.SocketException reset) {
            if (reset instanceof java.net.ConnectException) {
                throw reset;   // nothing listens: the server is down, which the campaign must not count as an answer
            }
            return -1;
        }
    }

    // --- what is sent ----------------------------------------------------------------------------

    /** Values a hostile client puts anywhere: empty, control characters, NUL, huge, odd encodings, injections. */
    static String hostile(Random r) {
        return switch (r.nextInt(16)) {
            case 0 -> "";
            case 1 -> " ";
            case 2 -> "\u0000";
            case 3 -> "x".repeat(1 + r.nextInt(r.nextBoolean() ? 2_000 : 20_000));
            case 4 -> "ü€𝄞\uFEFF\u202E";
            case 5 -> "..";
            case 6 -> "../../etc/passwd";
            case 7 -> "'; DROP TABLE records; --";
            case 8 -> "<script>alert(1)</script>";
            case 9 -> "${jndi:ldap://127.0.0.1:1/x}";
            case 10 -> "9".repeat(1 + r.nextInt(500));
            case 11 -> pick(r, new String[] {"-1", "0", "1e400", "NaN", "null", "true", "[]", "{}", "2026-13-45T99:99:99Z"});
            case 12 -> "\ud800";   // a lone surrogate: not valid UTF-16, not encodable as UTF-8
            case 13 -> "a\tb\u007f\u001b[31m";
            case 14 -> "%" + pick(r, new String[] {"", "0", "00", "FF", "2F", "2e%2e", "C0%AF", "E2%82"});
            default -> random(r, r.nextInt(64));
        };
    }

    /** A path segment: a valid name, or something hostile, percent-encoded or (sometimes) left raw. */
    static String segment(Random r, String... valid) {
        if (valid.length > 0 && r.nextInt(3) == 0) {
            return pick(r, valid);
        }
        String value = hostile(r);
        return r.nextInt(4) == 0 ? value : java.net.URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String query(Random r, String[] names) {
        StringBuilder query = new StringBuilder();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            query.append(i == 0 ? "?" : "&").append(r.nextInt(8) == 0 ? segment(r) : pick(r, names)).append('=')
                    .append(r.nextInt(3) == 0 ? pick(r, new String[] {"1", "10", "500", "501", "2026-11-24T10:00:00Z", "shop"})
                            : segment(r));
        }
        return query.toString();
    }

    static List<String[]> headers(Random r, String... pairs) {
        List<String[]> headers = new ArrayList<>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            headers.add(new String[] {pairs[i], pairs[i + 1]});
        }
        return headers;
    }

    /** Content types: none, empty, valid, with parameters, malformed, or two of them. */
    static void contentType(Random r, List<String[]> headers, String usual) {
        switch (r.nextInt(10)) {
            case 0 -> { }
            case 1 -> headers.add(new String[] {"Content-Type", ""});
            case 2 -> headers.add(new String[] {"Content-Type", pick(r, new String[] {"application/", "/json", ";;;", "a b/c",
                    "application/json; charset=\"", "application/json, text/plain", "*/*", "text/plain", "multipart/form-data",
                    "application/x-www-form-urlencoded", "APPLICATION/JSON;CHARSET=UTF-8", "application/json\u0000"})});
            case 3 -> {
                headers.add(new String[] {"Content-Type", usual});
                headers.add(new String[] {"Content-Type", pick(r, new String[] {usual, "text/plain", ""})});
            }
            case 4 -> headers.add(new String[] {"Content-Type", hostile(r)});
            default -> headers.add(new String[] {"Content-Type", usual});
        }
    }

    static final String[] SOURCES = {"shop", "gh", "chat", "sim", "thin", "lab", "fzstripe", "fzshopify", "fzsw", "billing"};
    static final String[] SIGNATURE_HEADERS = {"X-Signature", "X-Timestamp", "X-Delivery-Id", "X-Hub-Signature-256", "X-GitHub-Event",
            "X-GitHub-Delivery", "X-Slack-Signature", "X-Slack-Request-Timestamp", "Stripe-Signature", "X-Shopify-Hmac-Sha256",
            "X-Shopify-Topic", "X-Shopify-Webhook-Id", "webhook-id", "webhook-timestamp", "webhook-signature"};

    static Fuzzed webhook(Random r) {
        String method = r.nextInt(12) == 0 ? pick(r, new String[] {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}) : "POST";
        String source = r.nextInt(8) == 0 ? segment(r) : pick(r, SOURCES);
        String target = "/webhooks/" + source + (r.nextInt(15) == 0 ? "/" + segment(r) : "") + (r.nextInt(15) == 0 ? query(r, SOURCES) : "");
        byte[] body = body(r, source);
        List<String[]> headers = headers(r);
        contentType(r, headers, source.equals("chat") && r.nextBoolean() ? "application/x-www-form-urlencoded" : "application/json");
        long now = NOW;
        if (r.nextInt(3) == 0) {
            // Correctly signed for its source's scheme: past verification into parsing and mapping.
            headers.addAll(signed(source, body, now, r));
        }
        int mangled = r.nextInt(5);
        for (int i = 0; i < mangled; i++) {
            String name = pick(r, SIGNATURE_HEADERS);
            String value = switch (r.nextInt(6)) {
                case 0 -> "";
                case 1 -> "sha256=" + random(r, 64, "0123456789abcdef");
                case 2 -> "t=" + pick(r, new String[] {"", "-1", "99999999999999999999", Long.toString(now)}) + ",v1=" + random(r, 64, "0123456789abcdef");
                case 3 -> "v1," + random(r, 44, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") + " v1,x";
                case 4 -> "x".repeat(1 + r.nextInt(10_000));
                default -> hostile(r);
            };
            headers.add(new String[] {name, value});
        }
        if (r.nextInt(20) == 0) {
            headers.add(new String[] {"X-Padding", "p".repeat(9_000 + r.nextInt(40_000))});   // past the server's header limit
        }
        return new Fuzzed(method, target, headers, method.equals("GET") || method.equals("HEAD") ? null : body, r.nextInt(10) == 0);
    }

    /** The headers that sign {@code body} as the source's scheme does (the test configuration's secrets). */
    static List<String[]> signed(String source, byte[] body, long now, Random r) {
        String ts = Long.toString(now);
        return switch (source) {
            case "shop" -> headers(r, "X-Timestamp", ts, "X-Signature", SignedWebhook.signature(SignedWebhook.SECRET, now,
                    new String(body, StandardCharsets.UTF_8)));
            case "gh" -> headers(r, "X-Hub-Signature-256", "sha256=" + hex(hmac("gh-secret", body)),
                    "X-GitHub-Event", pick(r, new String[] {"issues", "ping", "push", hostile(r)}), "X-GitHub-Delivery", hostile(r));
            case "chat" -> headers(r, "X-Slack-Request-Timestamp", ts,
                    "X-Slack-Signature", "v0=" + hex(hmac("slack-secret", concat(("v0:" + ts + ":").getBytes(StandardCharsets.UTF_8), body))));
            case "fzstripe" -> headers(r, "Stripe-Signature", "t=" + ts + ",v1="
                    + hex(hmac("whsec_fuzz-stripe-secret", concat((ts + ".").getBytes(StandardCharsets.UTF_8), body))));
            case "fzshopify" -> headers(r, "X-Shopify-Hmac-Sha256", java.util.Base64.getEncoder().encodeToString(hmac("fuzz-shopify-secret", body)),
                    "X-Shopify-Topic", pick(r, new String[] {"products/update", "products/delete", hostile(r)}),
                    "X-Shopify-Webhook-Id", hostile(r));
            case "fzsw" -> {
                String id = "msg_" + r.nextInt(1_000_000);
                byte[] key = java.util.Base64.getDecoder().decode("ZnV6ei1zdGFuZGFyZC13ZWJob29rcy1rZXk=");
                yield headers(r, "webhook-id", id, "webhook-timestamp", ts, "webhook-signature", "v1," + java.util.Base64.getEncoder()
                        .encodeToString(dev.tidemark.receiver.signature.Hmac.sign(dev.tidemark.receiver.signature.Hmac.SHA256, key,
                                concat((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8), body))));
            }
            default -> List.of();
        };
    }

    static byte[] hmac(String secret, byte[] content) {
        return dev.tidemark.receiver.signature.Hmac.sign(dev.tidemark.receiver.signature.Hmac.SHA256,
                secret.getBytes(StandardCharsets.UTF_8), content);
    }

    static byte[] concat(byte[] a, byte[] b) {
        return dev.tidemark.receiver.signature.Hmac.concat(a, b);
    }

    static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes);
    }

    static byte[] body(Random r, String source) {
        String text = switch (r.nextInt(12)) {
            case 0 -> random(r, r.nextInt(500));
            case 1 -> "{\"type\":\"order.created\",\"data\":{\"id\":\"x\",\"updated_at\":\"2026-11-24T10:00:00Z\"".substring(0, 1 + r.nextInt(60));
            case 2 -> "{\"type\":\"order.created\",\"data\":{\"id\":" + jsonValue(r) + ",\"updated_at\":" + jsonValue(r) + ",\"amount\":"
                    + jsonValue(r) + "}}";
            case 3 -> "[" + "{\"type\":\"order.updated\",\"data\":{\"id\":\"f\",\"updated_at\":\"2026-11-24T10:00:00Z\"}},".repeat(r.nextInt(5)) + jsonValue(r) + "]";
            case 4 -> "[".repeat(1 + r.nextInt(5_000)) + "]".repeat(r.nextInt(10));
            case 5 -> "{\"a\":".repeat(1 + r.nextInt(3_000)) + "1" + "}".repeat(r.nextInt(3_000));
            case 6 -> "payload=" + java.net.URLEncoder.encode("{\"type\":\"block_actions\",\"trigger_id\":" + jsonValue(r)
                    + ",\"action_ts\":" + jsonValue(r) + "}", StandardCharsets.UTF_8) + (r.nextBoolean() ? "&payload=%zz" : "");
            case 7 -> r.nextBoolean() ? "{\"type\":\"item.touched\",\"id\":" + jsonValue(r) + "}"
                    : "{\"type\":\"charge.updated\",\"data\":{\"object\":{\"id\":" + jsonValue(r) + ",\"updated_at\":" + jsonValue(r) + "}}}";
            case 8 -> "{\"action\":\"opened\",\"issue\":{\"id\":" + jsonValue(r) + ",\"updated_at\":" + jsonValue(r) + "}}";
            case 9 -> "{\"type\":\"order.created\",\"data\":{\"id\":\"big\",\"updated_at\":\"" + "1".repeat(r.nextInt(300_000)) + "\"}}";
            case 10 -> pick(r, new String[] {"", "null", "true", "0", "[]", "{}", "\uFEFF{}", "{\"type\":\"\"}", "[{}]"});
            default -> "{\"type\":" + jsonValue(r) + ",\"data\":" + jsonValue(r) + "}";
        };
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(10) == 0 && bytes.length > 0) {
            bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
        }
        return bytes;
    }

    static String jsonValue(Random r) {
        return pick(r, new String[] {"null", "true", "1", "-1", "1.5", "1e308", "-1e400", "99999999999999999999999999", "\"\"", "\"x\"",
                "\"2026-11-24T10:00:00Z\"", "\"" + "9".repeat(200) + "\"", "{}", "[]", "[1,[2,[3]]]", "\"\\u0000\"", "\"\\ud800\""});
    }

    static final String[] API_PARAMS = {"updatedSince", "limit", "cursor", "source", "resource", "type", "mode", "purge"};

    static Fuzzed api(Random r) {
        String method = pick(r, new String[] {"GET", "GET", "GET", "POST", "POST", "PATCH", "DELETE", "PUT", "HEAD"});
        String target = switch (r.nextInt(11)) {
            case 0 -> "/api/records/" + segment(r, SOURCES) + "/" + segment(r, "orders", "items", "issues") + "/" + segment(r, "x", "1");
            case 1 -> "/api/records/" + segment(r, SOURCES) + "/" + segment(r, "orders", "items");
            case 2 -> "/api/events";
            case 3 -> "/api/runs";
            case 4 -> "/api/runs/" + segment(r, "6f0c1d1e-0000-0000-0000-000000000000");
            case 5 -> "/api/sources";
            case 6 -> "/api/sources/" + segment(r, SOURCES) + "/resources/" + segment(r, "orders", "items") + "/sync";
            case 7 -> "/api/dlq";
            case 8 -> "/api/dlq/redrive";
            case 9 -> "/api/" + segment(r) + "/" + segment(r);
            default -> "/api" + (r.nextBoolean() ? "" : "/");
        } + query(r, API_PARAMS);
        List<String[]> headers = headers(r);
        switch (r.nextInt(8)) {
            case 0 -> { }
            case 1 -> headers.add(new String[] {"Authorization", "Bearer " + hostile(r)});
            case 2 -> headers.add(new String[] {"Authorization", hostile(r)});
            default -> headers.add(new String[] {"Authorization", "Bearer " + TOKEN});
        }
        byte[] body = null;
        if (!method.equals("GET") && !method.equals("HEAD")) {
            contentType(r, headers, "application/json");
            body = switch (r.nextInt(6)) {
                case 0 -> ("{\"mode\":" + (r.nextBoolean() ? jsonValue(r) : "\"" + pick(r, new String[] {"incremental", "full", "reconcile", "x"}) + "\"") + "}")
                        .getBytes(StandardCharsets.UTF_8);
                case 1 -> ("{\"source\":" + jsonValue(r) + "}").getBytes(StandardCharsets.UTF_8);
                case 2 -> body(r, "api");
                case 3 -> ("{\"id\":\"" + hostile(r).replace("\"", "").replace("\\", "") + "\",\"credentials\":" + jsonValue(r) + "}")
                        .getBytes(StandardCharsets.UTF_8);
                case 4 -> new byte[0];
                default -> random(r, r.nextInt(200)).getBytes(StandardCharsets.UTF_8);
            };
        }
        return new Fuzzed(method, target, headers, body, r.nextInt(10) == 0);
    }

    static Fuzzed statusPage(Random r) {
        String method = r.nextInt(6) == 0 ? pick(r, new String[] {"HEAD", "POST", "OPTIONS", "PUT", "DELETE"}) : "GET";
        String target = switch (r.nextInt(8)) {
            case 0 -> "/";
            case 1 -> "/index.html";
            case 2 -> "/status.js";
            case 3 -> "/status.css";
            case 4 -> "/" + segment(r);
            case 5 -> "/" + segment(r) + "/" + segment(r) + "/" + segment(r);
            case 6 -> pick(r, new String[] {"/q/metrics", "/q/health", "/q/openapi", "/..%2f..%2fetc%2fpasswd", "/%2e%2e/", "//", "/index.html/"});
            default -> "/?" + segment(r) + "=" + segment(r);
        } + (r.nextInt(5) == 0 ? query(r, new String[] {"token", "t", "v"}) : "");
        List<String[]> headers = headers(r);
        int extra = r.nextInt(4);
        for (int i = 0; i < extra; i++) {
            headers.add(new String[] {pick(r, new String[] {"Range", "If-None-Match", "If-Modified-Since", "Accept", "Accept-Encoding",
                    "Accept-Language", "Cookie", "Referer", "Origin", "X-Forwarded-For", "Authorization"}),
                    r.nextBoolean() ? hostile(r) : pick(r, new String[] {"bytes=0-", "bytes=-1", "bytes=999999999999-", "bytes=5-1,2-3",
                            "\"x\"", "Thu, 01 Jan 1970 00:00:00 GMT", "*/*;q=abc", "gzip;q=2", "br,zstd,*"})});
        }
        byte[] body = method.equals("POST") || method.equals("PUT") ? random(r, r.nextInt(300)).getBytes(StandardCharsets.UTF_8) : null;
        return new Fuzzed(method, target, headers, body, r.nextInt(10) == 0);
    }

    static <T> T pick(Random random, T[] options) {
        return options[random.nextInt(options.length)];
    }

    static String random(Random r, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append((char) (1 + r.nextInt(0xD7FF)));
        }
        return text.toString();
    }

    static String random(Random r, int length, String alphabet) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return text.toString();
    }
}
