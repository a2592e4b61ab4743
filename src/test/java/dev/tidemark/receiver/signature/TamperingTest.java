package dev.tidemark.receiver.signature;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every scheme: a correctly signed delivery passes, and a one-byte change
 * of the body, the signature, the timestamp or the secret is rejected.
 */
class TamperingTest {

    static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
    static final String TS = Long.toString(NOW.getEpochSecond());
    static final Duration TOLERANCE = Duration.ofMinutes(5);
    static final String SECRET = "s3cr3t-for-tests";
    static final String WHSEC = "whsec_" + Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8));
    static final byte[] BODY = "{\"type\":\"order.updated\",\"id\":\"o_1\"}".getBytes(StandardCharsets.UTF_8);

    /** How a provider signs: the headers for a body, a timestamp and a secret; and which header holds the timestamp. */
    interface Signer {
        Map<String, String> headers(byte[] body, String timestamp, String secret);
    }

    record Case(String name, java.util.function.Function<String, SignatureScheme> scheme, String secret, Signer signer,
            Optional<String> timestampHeader, String signatureHeader) {
        @Override
        public String toString() {
            return name;
        }
    }

    static String hex(String alg, byte[] key, byte[] content) {
        return HexFormat.of().formatHex(Hmac.sign(alg, key, content));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Stream<Arguments> schemes() {
        return Stream.of(
                new Case("github", s -> new GithubScheme(List.of(s)), SECRET,
                        (b, t, s) -> Map.of("X-Hub-Signature-256", "sha256=" + hex(Hmac.SHA256, utf8(s), b)),
                        Optional.empty(), "X-Hub-Signature-256"),
                new Case("shopify", s -> new ShopifyScheme(List.of(s)), SECRET,
                        (b, t, s) -> Map.of("X-Shopify-Hmac-Sha256", Base64.getEncoder().encodeToString(Hmac.sign(Hmac.SHA256, utf8(s), b))),
                        Optional.empty(), "X-Shopify-Hmac-Sha256"),
                new Case("slack", s -> new SlackScheme(List.of(s), TOLERANCE), SECRET,
                        (b, t, s) -> Map.of("X-Slack-Request-Timestamp", t,
                                "X-Slack-Signature", "v0=" + hex(Hmac.SHA256, utf8(s), Hmac.concat(utf8("v0:" + t + ":"), b))),
                        Optional.of("X-Slack-Request-Timestamp"), "X-Slack-Signature"),
                new Case("stripe", s -> new StripeScheme(List.of(s), TOLERANCE), SECRET,
                        (b, t, s) -> Map.of("Stripe-Signature", "t=" + t + ",v1=" + hex(Hmac.SHA256, utf8(s), Hmac.concat(utf8(t + "."), b))),
                        Optional.empty(), "Stripe-Signature"),
                new Case("standard-webhooks", s -> new StandardWebhooksScheme(List.of(s), TOLERANCE), WHSEC,
                        (b, t, s) -> Map.of("webhook-id", "msg_1", "webhook-timestamp", t, "webhook-signature",
                                "v1," + Base64.getEncoder().encodeToString(Hmac.sign(Hmac.SHA256,
                                        StandardWebhooksScheme.key(s), Hmac.concat(utf8("msg_1." + t + "."), b)))),
                        Optional.of("webhook-timestamp"), "webhook-signature"),
                new Case("hmac", s -> new GenericHmacScheme("X-Sig", "sha512", GenericHmacScheme.Encoding.BASE64, "v=",
                        Optional.of("X-Ts"), "{timestamp}:{body}", TOLERANCE, List.of(s)), SECRET,
                        (b, t, s) -> Map.of("X-Ts", t, "X-Sig", "v=" + Base64.getEncoder().encodeToString(
                                Hmac.sign(Hmac.SHA512, utf8(s), Hmac.concat(utf8(t + ":"), b)))),
                        Optional.of("X-Ts"), "X-Sig"))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void aCorrectSignaturePasses(Case c) {
        SignatureScheme scheme = c.scheme().apply(c.secret());
        assertThat(scheme.verify(Requests.of(BODY, c.signer().headers(BODY, TS, c.secret())), NOW)).isEqualTo(Verification.VALID);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void aOneByteChangeOfTheBodyIsRejected(Case c) {
        SignatureScheme scheme = c.scheme().apply(c.secret());
        Map<String, String> headers = c.signer().headers(BODY, TS, c.secret());
        for (int i = 0; i < BODY.length; i++) {
            byte[] changed = BODY.clone();
            changed[i] ^= 0x01;
            assertThat(scheme.verify(Requests.of(changed, headers), NOW).valid()).as("byte %d", i).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void aOneCharacterChangeOfTheSignatureIsRejected(Case c) {
        SignatureScheme scheme = c.scheme().apply(c.secret());
        Map<String, String> headers = c.signer().headers(BODY, TS, c.secret());
        String signature = headers.get(c.signatureHeader());
        for (int i = 0; i < signature.length(); i++) {
            char original = signature.charAt(i);
            char changed = original == 'a' ? 'b' : 'a';
            Map<String, String> tampered = new HashMap<>(headers);
            tampered.put(c.signatureHeader(), signature.substring(0, i) + changed + signature.substring(i + 1));
            assertThat(scheme.verify(Requests.of(BODY, tampered), NOW).valid()).as("character %d", i).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void aChangedTimestampIsRejected(Case c) {
        SignatureScheme scheme = c.scheme().apply(c.secret());
        Map<String, String> headers = new HashMap<>(c.signer().headers(BODY, TS, c.secret()));
        String other = Long.toString(NOW.getEpochSecond() - 1);
        if (c.timestampHeader().isPresent()) {
            headers.put(c.timestampHeader().get(), other);
        } else if (c.name().equals("stripe")) {
            headers.put("Stripe-Signature", headers.get("Stripe-Signature").replace("t=" + TS, "t=" + other));
        } else {
            return; // GitHub and Shopify sign no timestamp.
        }
        assertThat(scheme.verify(Requests.of(BODY, headers), NOW).valid()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void aOneByteChangeOfTheSecretIsRejected(Case c) {
        String secret = c.secret();
        String changed = secret.substring(0, secret.length() - 2) + (secret.charAt(secret.length() - 2) == 'x' ? 'y' : 'x')
                + secret.charAt(secret.length() - 1);
        SignatureScheme scheme = c.scheme().apply(c.secret());
        assertThat(scheme.verify(Requests.of(BODY, c.signer().headers(BODY, TS, changed)), NOW).valid()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void anyOfSeveralSecretsPassesDuringARotation(Case c) {
        // Every scheme is built from a list; SchemeKind passes all of a source's secrets.
        if (c.name().equals("hmac")) {
            return; // The generic scheme's headers come from configuration; covered by GenericHmacSchemeTest.
        }
        String retired = c.name().equals("standard-webhooks") ? "whsec_" + Base64.getEncoder().encodeToString(utf8("retired-secret")) : "retired-secret";
        var config = dev.tidemark.config.ConfigFixtures.load("""
                tidemark:
                  sources:
                    s:
                      webhook:
                        scheme: %s
                        secrets: ["%s", "%s"]
                """.formatted(c.name(), retired, c.secret()));
        SignatureScheme scheme = SchemeKind.create(config.sources().get("s").webhook().get());
        assertThat(scheme.verify(Requests.of(BODY, c.signer().headers(BODY, TS, c.secret())), NOW).valid()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void missingHeadersAreNamed(Case c) {
        SignatureScheme scheme = c.scheme().apply(c.secret());
        assertThat(scheme.verify(Requests.of(BODY, Map.of()), NOW).reason())
                .isIn(Verification.MISSING_SIGNATURE, Verification.MISSING_TIMESTAMP);
    }
}
