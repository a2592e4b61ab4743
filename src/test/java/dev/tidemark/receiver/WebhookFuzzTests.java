package dev.tidemark.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.Timestamps;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ChangesTopic;
import dev.tidemark.support.SignedWebhook;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random and malformed deliveries against a configured source:
 * never a 5xx, never a change on tidemark.changes. Half are correctly signed,
 * so they get past verification into parsing and mapping, but each is broken
 * by construction in a way mapping must refuse.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class WebhookFuzzTests {

    static final ObjectMapper JSON = new ObjectMapper();

    static final int DELIVERIES = 3000;
    static final Set<Integer> ALLOWED = Set.of(200, 400, 401, 404, 405, 413, 415);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/webhooks/shop")
    URI shop;

    @Test
    void randomDeliveriesNeverCauseA5xxOrAChange() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        ChangesTopic topic = new ChangesTopic(bootstrap);
        long before = topic.total();
        HttpClient client = HttpClient.newHttpClient();
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < DELIVERIES; i++) {
            byte[] body = body(random);
            HttpRequest.Builder request = HttpRequest.newBuilder(random.nextInt(20) == 0 ? shop.resolve(randomPath(random)) : shop)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            headers(random, body).forEach((name, value) -> {
                try {
                    request.header(name, value);
                } catch (IllegalArgumentException refusedByTheClient) {
                    // The JDK refuses some header values outright; such a request never leaves.
                }
            });
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            statuses.merge(response.statusCode(), 1, Integer::sum);
            assertThat(response.statusCode()).as("seed %d, delivery %d: %s", seed, i, response.body()).isIn(ALLOWED);
        }
        assertThat(topic.total()).as("seed %d: statuses %s", seed, statuses).isEqualTo(before);
        assertThat(statuses).as("seed %d: signed deliveries must reach mapping", seed).containsKey(400);
    }

    /** Correctly signed at the current time, most of the time; otherwise something random. */
    Map<String, String> headers(Random random, byte[] body) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        long now = Instant.now().getEpochSecond();
        String contentTypes[] = {"application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain",
                "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json", "*/*",
                "application/", "json", ";;;", "application/json; charset=\"", ""};
        String contentType = random.nextInt(3) == 0 ? pick(random, contentTypes) : "application/json";
        if (!contentType.isEmpty()) {
            headers.put("Content-Type", contentType);
        }
        switch (random.nextInt(6)) {
            case 0, 1, 2 -> {
                headers.put("X-Timestamp", Long.toString(now));
                headers.put("X-Signature", SignedWebhook.signature(SignedWebhook.SECRET, now, new String(body, StandardCharsets.UTF_8)));
            }
            case 3 -> {
                headers.put("X-Timestamp", pick(random, new String[] {"", "-1", "abc", "99999999999999999999", Long.toString(now - 10_000), " " + now}));
                headers.put("X-Signature", "sha256=" + randomText(random, 64, "0123456789abcdef"));
            }
            case 4 -> headers.put("X-Signature", randomText(random, random.nextInt(200), null));
            default -> {
                // No signature at all.
            }
        }
        if (random.nextBoolean()) {
            headers.put("X-Delivery-Id", randomText(random, random.nextInt(300), null));
        }
        return headers;
    }

    /** A body that no mapping can accept: random bytes, broken JSON, or a mapped event lacking or mangling a field. */
    byte[] body(Random random) {
        List<Function<Random, String>> kinds = new ArrayList<>(List.of(
                r -> randomText(r, r.nextInt(500), null),
                r -> "{\"type\":\"order.created\",\"data\":{\"id\":\"x\",\"updated_at\":\"2026-11-24T10:00:00Z\"".substring(0, 1 + r.nextInt(60)),
                r -> "{\"type\":" + pick(r, new String[] {"1", "null", "[]", "{}", "true"}) + ",\"data\":{}}",
                r -> "{\"type\":\"order.created\",\"data\":" + pick(r, new String[] {"1", "null", "[]", "\"s\"", "true"}) + "}",
                r -> "{\"type\":\"order.created\",\"data\":{\"id\":" + pick(r, new String[] {"null", "{}", "[]", "true", "1.5", "\"\""})
                        + ",\"updated_at\":\"2026-11-24T10:00:00Z\"}}",
                r -> "{\"type\":\"order.created\",\"data\":{\"id\":\"x\",\"updated_at\":"
                        + pick(r, new String[] {"null", "\"\"", "\"soon\"", "{}", "[]", "true", "\"2026-13-45T99:00:00Z\"", "\"1e400\""}) + "}}",
                r -> "{\"type\":\"order.created\",\"data\":{\"id\":\"x\"}}",
                r -> "[" + "{\"type\":\"order.created\",\"data\":{\"id\":\"x\",\"updated_at\":\"2026-11-24T10:00:00Z\"}},".repeat(r.nextInt(3)) + "1]",
                r -> "[".repeat(2000 + r.nextInt(2000)) + "]".repeat(r.nextInt(10)),
                r -> "{\"a\":".repeat(1500) + "1" + "}".repeat(1500),
                r -> "\"" + randomText(r, r.nextInt(100), null).replace("\"", "") + "\"",
                r -> pick(r, new String[] {"", "null", "true", "0", "[]", "{}", "\uFEFF{}", "{\"type\":\"\"}"}),
                r -> "{\"type\":\"order.created\",\"data\":{\"id\":\"x\",\"updated_at\":" + (r.nextBoolean() ? "1e308" : "-99999999999999999999999") + "}}"));
        while (true) {
            String text = pick(random, kinds).apply(random);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            if (random.nextInt(10) == 0 && bytes.length > 0) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            // A flipped byte can mend a body ("1e308" becomes "1e008", a valid epoch): that one would rightly be accepted.
            if (!mendedByChance(bytes)) {
                return bytes;
            }
        }
    }

    /**
     * True if the shop source would accept {@code body} as it stands: every event an object with a string type,
     * each of a mapped type with a usable id and updated_at, and at least one mapped. Such a body is a delivery a
     * provider could really send, and accepting it is right.
     */
    static boolean mendedByChance(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException | RuntimeException notJson) {
            return false;
        }
        if (root == null || !(root.isObject() || root.isArray())) {
            return false;
        }
        boolean anyMapped = false;
        for (JsonNode event : root.isArray() ? root : List.of(root)) {
            if (!event.isObject() || !event.path("type").isTextual()) {
                return false;
            }
            if (!List.of("order.created", "order.updated", "order.deleted").contains(event.path("type").asText())) {
                continue;   // an event type the source does not map is passed over
            }
            JsonNode data = event.path("data");
            JsonNode id = data.path("id");
            if (!data.isObject() || !(id.isTextual() || id.isIntegralNumber()) || id.asText().isEmpty()
                    || Timestamps.parse(data.path("updated_at")).isEmpty()) {
                return false;
            }
            anyMapped = true;
        }
        return anyMapped;
    }

    static String randomPath(Random random) {
        return pick(random, new String[] {"/webhooks/", "/webhooks/%00", "/webhooks/shop/extra", "/webhooks/nobody", "/webhooks/..%2Fapi"});
    }

    static <T> T pick(Random random, T[] options) {
        return options[random.nextInt(options.length)];
    }

    static <T> T pick(Random random, List<T> options) {
        return options.get(random.nextInt(options.size()));
    }

    static String randomText(Random random, int length, String alphabet) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(alphabet == null ? (char) (1 + random.nextInt(0xD7FF)) : alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }
}
