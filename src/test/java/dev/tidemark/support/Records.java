package dev.tidemark.support;

import static io.restassured.RestAssured.given;

import io.restassured.response.ValidatableResponse;
import java.time.Duration;
import java.util.function.Consumer;

/** Reads records back through the API, waiting for the asynchronous processor. */
public final class Records {

    public static final String TOKEN = "Bearer test-token";

    private Records() {
    }

    /** Waits until {@code GET /api/records/{path}} answers 200 and satisfies {@code expected}. */
    public static void await(String path, Consumer<ValidatableResponse> expected) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                expected.accept(given().header("Authorization", TOKEN).get("/api/records/" + path).then().statusCode(200)));
    }

    public static void awaitExists(String path) {
        await(path, response -> { });
    }
}
