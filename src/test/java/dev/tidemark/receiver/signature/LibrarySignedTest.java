package dev.tidemark.receiver.signature;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.net.Webhook;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Signatures made at test time by the providers' own libraries: Svix's
 * Standard Webhooks signer and stripe-java's webhook utilities. If our
 * reading of a scheme drifted from theirs, these fail.
 */
class LibrarySignedTest {

    static final Instant NOW = Instant.now();
    static final Duration TOLERANCE = Duration.ofMinutes(5);

    @Test
    void standardWebhooksSignedBySvix() throws Exception {
        String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString("a 24-byte test secret key".getBytes(StandardCharsets.UTF_8));
        String body = "{\"type\":\"contact.updated\",\"data\":{\"id\":\"c_1\",\"updated_at\":\"2026-11-24T10:00:00Z\"}}";
        long ts = NOW.getEpochSecond();
        String signature = new com.svix.Webhook(secret).sign("msg_2p1", ts, body);

        var scheme = new StandardWebhooksScheme(List.of("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[24]), secret), TOLERANCE);
        var headers = Map.of("webhook-id", "msg_2p1", "webhook-timestamp", Long.toString(ts), "webhook-signature", signature);
        assertThat(scheme.verify(Requests.of(body.getBytes(StandardCharsets.UTF_8), headers), NOW)).isEqualTo(Verification.VALID);
        assertThat(scheme.deliveryId(Requests.of(new byte[0], headers))).contains("msg_2p1");

        // A header carrying several signatures, one of them ours: any valid v1 passes.
        var several = Map.of("webhook-id", "msg_2p1", "webhook-timestamp", Long.toString(ts),
                "webhook-signature", "v1,Zm9yZ2Vk v2,c29tZXRoaW5nIGVsc2U= " + signature);
        assertThat(scheme.verify(Requests.of(body.getBytes(StandardCharsets.UTF_8), several), NOW).valid()).isTrue();

        var otherId = Map.of("webhook-id", "msg_2p2", "webhook-timestamp", Long.toString(ts), "webhook-signature", signature);
        assertThat(scheme.verify(Requests.of(body.getBytes(StandardCharsets.UTF_8), otherId), NOW).valid()).isFalse();
    }

    @Test
    void stripeSignedByStripeJava() throws Exception {
        String secret = "whsec_test_secret_for_tidemark";
        String body = "{\"id\":\"evt_1\",\"type\":\"customer.subscription.updated\",\"data\":{\"object\":{\"id\":\"sub_1\"}}}";
        long ts = NOW.getEpochSecond();
        String v1 = Webhook.Util.computeHmacSha256(secret, ts + "." + body);
        String header = "t=" + ts + ",v1=" + "0".repeat(64) + ",v1=" + v1 + ",v0=" + "1".repeat(64);
        // stripe-java itself accepts the header we will check.
        assertThat(Webhook.Signature.verifyHeader(body, header, secret, 300)).isTrue();

        var scheme = new StripeScheme(List.of("whsec_old", secret), TOLERANCE);
        assertThat(scheme.verify(Requests.of(body.getBytes(StandardCharsets.UTF_8), Map.of("Stripe-Signature", header)), NOW))
                .isEqualTo(Verification.VALID);
        String stale = "t=" + (ts - 301) + ",v1=" + Webhook.Util.computeHmacSha256(secret, (ts - 301) + "." + body);
        assertThat(scheme.verify(Requests.of(body.getBytes(StandardCharsets.UTF_8), Map.of("Stripe-Signature", stale)), NOW))
                .isEqualTo(Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE));
    }
}
