package dev.tidemark.receiver.signature;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GenericHmacSchemeTest {

    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
    private static final String TS = Long.toString(NOW.getEpochSecond());
    private static final byte[] BODY = "{\"type\":\"order.created\"}".getBytes(StandardCharsets.UTF_8);

    private final GenericHmacScheme timestamped = new GenericHmacScheme("X-Signature", "sha256",
            GenericHmacScheme.Encoding.HEX, "sha256=", Optional.of("X-Timestamp"), "{timestamp}.{body}",
            Duration.ofMinutes(5), List.of("old", "new"));

    static SignedRequest request(byte[] body, String... headers) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            map.put(headers[i].toLowerCase(), headers[i + 1]);
        }
        return new SignedRequest(body, name -> map.get(name.toLowerCase()));
    }

    @Test
    void matchesAnIndependentlyComputedSignature() {
        // openssl dgst -sha256 -hmac new <<< -n "1795514400.{"type":"order.created"}"
        String expected = "sha256=" + java.util.HexFormat.of().formatHex(
                Hmac.sign("HmacSHA256", "new".getBytes(StandardCharsets.UTF_8), (TS + "." + new String(BODY, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
        assertThat(timestamped.sign("new", TS, BODY)).isEqualTo(expected);
        assertThat(timestamped.verify(request(BODY, "X-Signature", expected, "X-Timestamp", TS), NOW)).isEqualTo(Verification.VALID);
    }

    @Test
    void acceptsAnyCurrentSecretDuringARotation() {
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("old", TS, BODY), "X-Timestamp", TS), NOW).valid()).isTrue();
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("new", TS, BODY), "X-Timestamp", TS), NOW).valid()).isTrue();
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("retired", TS, BODY), "X-Timestamp", TS), NOW))
                .isEqualTo(Verification.invalid(Verification.SIGNATURE_MISMATCH));
    }

    @Test
    void rejectsAOneByteChangeOfBodySignatureOrTimestamp() {
        String good = timestamped.sign("new", TS, BODY);
        byte[] tampered = BODY.clone();
        tampered[3] ^= 1;
        assertThat(timestamped.verify(request(tampered, "X-Signature", good, "X-Timestamp", TS), NOW).valid()).isFalse();
        char last = good.charAt(good.length() - 1);
        String badSignature = good.substring(0, good.length() - 1) + (last == '0' ? '1' : '0');
        assertThat(timestamped.verify(request(BODY, "X-Signature", badSignature, "X-Timestamp", TS), NOW).valid()).isFalse();
        String otherTs = Long.toString(NOW.getEpochSecond() - 1);
        assertThat(timestamped.verify(request(BODY, "X-Signature", good, "X-Timestamp", otherTs), NOW).valid()).isFalse();
    }

    @Test
    void rejectsTimestampsOutsideTheTolerance() {
        String old = Long.toString(NOW.minus(Duration.ofMinutes(5)).minusSeconds(1).getEpochSecond());
        String future = Long.toString(NOW.plus(Duration.ofMinutes(5)).plusSeconds(1).getEpochSecond());
        String edge = Long.toString(NOW.minus(Duration.ofMinutes(5)).getEpochSecond());
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("new", old, BODY), "X-Timestamp", old), NOW))
                .isEqualTo(Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE));
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("new", future, BODY), "X-Timestamp", future), NOW))
                .isEqualTo(Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE));
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("new", edge, BODY), "X-Timestamp", edge), NOW).valid()).isTrue();
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("new", "soon", BODY), "X-Timestamp", "soon"), NOW).valid()).isFalse();
    }

    @Test
    void namesWhatIsMissingOrMalformed() {
        assertThat(timestamped.verify(request(BODY, "X-Timestamp", TS), NOW).reason()).isEqualTo(Verification.MISSING_SIGNATURE);
        assertThat(timestamped.verify(request(BODY, "X-Signature", timestamped.sign("new", TS, BODY)), NOW).reason()).isEqualTo(Verification.MISSING_TIMESTAMP);
        assertThat(timestamped.verify(request(BODY, "X-Signature", "md5=abc", "X-Timestamp", TS), NOW).reason()).isEqualTo(Verification.MALFORMED_SIGNATURE);
        assertThat(timestamped.verify(request(BODY, "X-Signature", "sha256=zz", "X-Timestamp", TS), NOW).reason()).isEqualTo(Verification.MALFORMED_SIGNATURE);
    }

    @Test
    void supportsSha512Base64WithoutPrefixOrTimestamp() {
        GenericHmacScheme plain = new GenericHmacScheme("X-Hmac", "sha512", GenericHmacScheme.Encoding.BASE64, "",
                Optional.empty(), "{body}", Duration.ofMinutes(5), List.of("k"));
        String signature = java.util.Base64.getEncoder().encodeToString(
                Hmac.sign("HmacSHA512", "k".getBytes(StandardCharsets.UTF_8), BODY));
        assertThat(plain.sign("k", "", BODY)).isEqualTo(signature);
        assertThat(plain.verify(request(BODY, "x-hmac", signature), NOW).valid()).isTrue();
        assertThat(plain.verify(request(BODY, "x-hmac", signature.substring(1)), NOW).valid()).isFalse();
    }
}
