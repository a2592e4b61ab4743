package dev.tidemark.receiver.signature;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The providers' own published examples, verified as given. The clock is set
 * to each example's timestamp, as the providers' own tests do.
 */
class PublicVectorsTest {

    static final Duration TOLERANCE = Duration.ofMinutes(5);

    /** GitHub Docs, "Validating webhook deliveries", "Testing the webhook payload validation". */
    @Test
    void githubDocsExample() {
        var scheme = new GithubScheme(List.of("It's a Secret to Everybody"));
        var request = Requests.of("Hello, World!".getBytes(StandardCharsets.UTF_8),
                Map.of("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
        assertThat(scheme.verify(request, Instant.now())).isEqualTo(Verification.VALID);
    }

    /** Slack API docs, "Verifying requests from Slack", the slash-command walkthrough. */
    @Test
    void slackDocsExample() {
        String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
                + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
                + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        var scheme = new SlackScheme(List.of("8f742231b10e8888abcd99yyyzzz85a5"), TOLERANCE);
        var request = Requests.of(body.getBytes(StandardCharsets.UTF_8), Map.of(
                "X-Slack-Request-Timestamp", "1531420618",
                "X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"));
        assertThat(scheme.verify(request, Instant.ofEpochSecond(1531420618))).isEqualTo(Verification.VALID);
        // The same request an hour later is a replay.
        assertThat(scheme.verify(request, Instant.ofEpochSecond(1531420618 + 3600)))
                .isEqualTo(Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE));
    }

    /** The Standard Webhooks reference libraries' test vector (also Svix's). */
    @Test
    void standardWebhooksReferenceVector() {
        var scheme = new StandardWebhooksScheme(List.of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), TOLERANCE);
        var headers = Map.of(
                "webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                "webhook-timestamp", "1614265330",
                "webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        var request = Requests.of("{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8), headers);
        assertThat(scheme.verify(request, Instant.ofEpochSecond(1614265330))).isEqualTo(Verification.VALID);
        assertThat(scheme.verify(request, Instant.ofEpochSecond(1614265330 + 301)))
                .isEqualTo(Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE));
    }

    /**
     * Shopify's Admin API library for PHP (Shopify/shopify-api-php),
     * tests/Webhooks/RegistryTest.php: the body {"foo":"bar"} signed with the
     * test context's API secret "steffi".
     */
    @Test
    void shopifyApiLibraryVector() {
        var scheme = new ShopifyScheme(List.of("steffi"));
        var request = Requests.of("{\"foo\":\"bar\"}".getBytes(StandardCharsets.UTF_8),
                Map.of("X-Shopify-Hmac-Sha256", "/Redz4YXHLnSmmSN8grr5/Jl/Ua3d7yX3iWbjb8R8wo="));
        assertThat(scheme.verify(request, Instant.now())).isEqualTo(Verification.VALID);
        // The library's own negative case: a header that is not the body's signature.
        var wrong = Requests.of("{\"foo\":\"bar\"}".getBytes(StandardCharsets.UTF_8),
                Map.of("X-Shopify-Hmac-Sha256", "whoops_this_is_wrong"));
        assertThat(scheme.verify(wrong, Instant.now()).valid()).isFalse();
    }

    /**
     * HubSpot's v3 signature, as its Python client tests it (HubSpot/hubspot-api-python, tests/spec/utils/
     * test_signature.py, Apache-2.0): base64 HMAC-SHA256 of method, URL, body and the timestamp in epoch
     * milliseconds, with the generic scheme as the hubspot template sets it.
     */
    @Test
    void hubspotV3ClientLibraryVector() {
        var scheme = new GenericHmacScheme("X-HubSpot-Signature-v3", "sha256", GenericHmacScheme.Encoding.BASE64, "",
                java.util.Optional.of("X-HubSpot-Request-Timestamp"), "{method}{url}{body}{timestamp}", TOLERANCE,
                List.of("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"));
        byte[] body = "{'example_field':'example_value'}".getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = Map.of("X-HubSpot-Request-Timestamp", "1693657560000",
                "X-HubSpot-Signature-v3", "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=");
        var request = at(body, headers, "https://www.example.com/webhook_uri");
        Instant signedAt = Instant.ofEpochMilli(1693657560000L);
        assertThat(scheme.verify(request, signedAt)).isEqualTo(Verification.VALID);
        // Called at another URL (a proxy in between, public-url unset): not the signature of this request.
        assertThat(scheme.verify(at(body, headers, "http://tidemark:8080/webhook_uri"), signedAt).valid()).isFalse();
        // Six minutes on: a replay.
        assertThat(scheme.verify(request, signedAt.plusSeconds(360)))
                .isEqualTo(Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE));
    }

    /** An ISO-8601 signing time (Zendesk's X-Zendesk-Webhook-Signature-Timestamp) is read as one, and checked the same. */
    @Test
    void anIsoSigningTimeIsHeldToTheTolerance() {
        var scheme = new GenericHmacScheme("X-Zendesk-Webhook-Signature", "sha256", GenericHmacScheme.Encoding.BASE64, "",
                java.util.Optional.of("X-Zendesk-Webhook-Signature-Timestamp"), "{timestamp}{body}", TOLERANCE, List.of("secret"));
        byte[] body = "{\"say\": \"hello\"}".getBytes(StandardCharsets.UTF_8);
        String signature = scheme.sign("secret", "2021-07-25T10:00:00Z", body);
        var request = Requests.of(body, Map.of("X-Zendesk-Webhook-Signature-Timestamp", "2021-07-25T10:00:00Z",
                "X-Zendesk-Webhook-Signature", signature));
        assertThat(scheme.verify(request, Instant.parse("2021-07-25T10:04:00Z"))).isEqualTo(Verification.VALID);
        assertThat(scheme.verify(request, Instant.parse("2021-07-25T10:06:00Z")))
                .isEqualTo(Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE));
    }

    private static SignedRequest at(byte[] body, Map<String, String> headers, String url) {
        SignedRequest plain = Requests.of(body, headers);
        return new SignedRequest(plain.body(), plain.headers(), url);
    }
}
