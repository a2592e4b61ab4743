package dev.tidemark.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.SignedWebhook;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Content-Type header is a provider's (or a scanner's) input: present but
 * empty, malformed or repeated, it is a 415, never a 500. Sent over a raw HTTP
 * client, so the header is exactly what the test says.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class ContentTypeTests {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String BODY = SignedWebhook.order("order.created", "ct-1", "2026-11-24T10:00:00Z", "open", 1);

    @TestHTTPResource("/webhooks/shop")
    URI shop;

    int post(String... contentTypes) throws Exception {
        long now = Instant.now().getEpochSecond();
        HttpRequest.Builder request = HttpRequest.newBuilder(shop).POST(HttpRequest.BodyPublishers.ofString(BODY))
                .header("X-Timestamp", Long.toString(now))
                .header("X-Signature", SignedWebhook.signature(SignedWebhook.SECRET, now, BODY));
        for (String type : contentTypes) {
            request.header("Content-Type", type);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ";", "application/", "/json", "application json", "application/json/x", "\u00e9/json",
            "application/json, text/plain", "*/*x"})
    void anEmptyOrMalformedContentTypeIs415(String type) throws Exception {
        assertThat(post(type)).as("'%s'", type).isEqualTo(415);
    }

    @Test
    void aRepeatedContentTypeIs415() throws Exception {
        assertThat(post("application/json", "application/json")).isEqualTo(415);
    }

    @Test
    void aWellFormedOneWithParametersAndAnyCaseIsAccepted() throws Exception {
        assertThat(post("Application/JSON; charset=utf-8")).isEqualTo(202);
    }

    @Test
    void theMediaTypeIsReadWithoutThrowing() {
        assertThat(WebhookResource.mediaType(null)).contains("");
        assertThat(WebhookResource.mediaType(List.of(""))).contains("");
        assertThat(WebhookResource.mediaType(List.of("text/plain;x=y"))).contains("text/plain");
        assertThat(WebhookResource.mediaType(List.of("a/b", "a/b"))).isEqualTo(Optional.empty());
        assertThat(WebhookResource.mediaType(List.of("\u0000/json"))).isEqualTo(Optional.empty());
    }
}
