package dev.tidemark.support;

import static io.restassured.RestAssured.given;

import dev.tidemark.receiver.signature.GenericHmacScheme;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Posts webhooks to the test source {@code shop} the way its provider would sign them (see application.yaml, %test). */
public final class SignedWebhook {

    public static final String SOURCE = "shop";
    public static final String SECRET = "shop-secret";

    private static final GenericHmacScheme SIGNER = new GenericHmacScheme("X-Signature", "sha256",
            GenericHmacScheme.Encoding.HEX, "sha256=", Optional.of("X-Timestamp"), "{timestamp}.{body}",
            Duration.ofMinutes(5), List.of(SECRET));

    private SignedWebhook() {
    }

    public static String signature(String secret, long timestamp, String body) {
        return SIGNER.sign(secret, Long.toString(timestamp), body.getBytes(StandardCharsets.UTF_8));
    }

    public static Response post(String body) {
        long now = Instant.now().getEpochSecond();
        return given()
                .contentType("application/json")
                .header("X-Timestamp", Long.toString(now))
                .header("X-Signature", signature(SECRET, now, body))
                .body(body.getBytes(StandardCharsets.UTF_8))
                .post("/webhooks/" + SOURCE);
    }

    public static String order(String type, String id, String updatedAt, String status, int amount) {
        return """
                {"type":"%s","data":{"id":"%s","updated_at":"%s","status":"%s","amount":%d}}"""
                .formatted(type, id, updatedAt, status, amount);
    }
}
