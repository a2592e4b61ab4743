package dev.tidemark.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tidemark.config.ConfigFixtures;
import dev.tidemark.startup.TidemarkConfigCheck;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Credentials at rest: sealed under the configured key, bound to their row, opened only by a key that is configured. */
class SecretBoxTest {

    static final String OLD = newKey();
    static final String NEW = newKey();
    static final String CONTEXT = SecretBox.context("connections", "0b9f4c2e-5d8a-4f1e-9c3b-7a6d2e1f0c94", "credentials");
    static final byte[] SECRET = "sk_live_51H8notARealKeyButLongEnough".getBytes(StandardCharsets.UTF_8);

    static String newKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    static SecretBox box(String key, String... previous) {
        return new SecretBox(Optional.ofNullable(key), List.of(previous));
    }

    @Test
    void aSealedValueOpensForItsOwnRowAndHoldsNoTraceOfTheSecret() {
        SecretBox box = box(NEW);
        SecretBox.Sealed sealed = box.seal(SECRET, CONTEXT);
        assertThat(box.open(sealed, CONTEXT)).isEqualTo(SECRET);
        assertThat(new String(sealed.box(), StandardCharsets.ISO_8859_1)).doesNotContain("sk_live");
        assertThat(HexFormat.of().formatHex(sealed.box())).doesNotContain(HexFormat.of().formatHex(SECRET).substring(0, 16));
        // A fresh nonce each time: the same secret never seals to the same bytes.
        assertThat(box.seal(SECRET, CONTEXT).box()).isNotEqualTo(sealed.box());
        assertThat(sealed.keyId()).isEqualTo(box.currentKeyId().orElseThrow()).hasSize(12);
        assertThat(NEW).doesNotContain(sealed.keyId());
    }

    @Test
    void withoutAKeyNothingIsSealedAndTheErrorSaysWhatToConfigure() {
        SecretBox none = box(null);
        assertThat(none.canSeal()).isFalse();
        assertThatThrownBy(() -> none.seal(SECRET, CONTEXT)).isInstanceOf(SecretsException.class)
                .hasMessageContaining("tidemark.secrets.key").hasMessageContaining("never stored in clear");
    }

    @Test
    void aWrongKeyFailsLoudlyNamingTheKeyNeededNeverTheSecret() {
        SecretBox.Sealed sealed = box(OLD).seal(SECRET, CONTEXT);
        assertThatThrownBy(() -> box(NEW).open(sealed, CONTEXT)).isInstanceOf(SecretsException.class)
                .hasMessageContaining("sealed under key " + sealed.keyId()).hasMessageContaining("not configured")
                .hasMessageNotContaining("sk_live").hasMessageNotContaining(OLD).hasMessageNotContaining(NEW);
    }

    @Test
    void aValueAlteredOrMovedToAnotherRowDoesNotOpen() {
        SecretBox box = box(NEW);
        SecretBox.Sealed sealed = box.seal(SECRET, CONTEXT);
        assertThatThrownBy(() -> box.open(sealed, SecretBox.context("connections", "another-row", "credentials")))
                .isInstanceOf(SecretsException.class).hasMessageContaining("was altered");
        for (int i = 0; i < sealed.box().length; i++) {
            byte[] flipped = sealed.box().clone();
            flipped[i] ^= 0x01;
            SecretBox.Sealed altered = new SecretBox.Sealed(sealed.keyId(), flipped);
            assertThatThrownBy(() -> box.open(altered, CONTEXT)).as("byte %d flipped", i).isInstanceOf(SecretsException.class);
        }
        assertThatThrownBy(() -> box.open(new SecretBox.Sealed(sealed.keyId(), new byte[5]), CONTEXT))
                .isInstanceOf(SecretsException.class).hasMessageContaining("too short");
    }

    @Test
    void theStoredFormatIsTheDocumentedOneAndOpensWhatAnotherImplementationSealed() {
        // Sealed by Python's cryptography (AESGCM) from docs/operations.md alone: key 0x00..0x1f, nonce 0xa0..0xab,
        // box = version 1 | nonce | ciphertext | tag, associated data = version 1 | context.
        String key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        SecretBox.Sealed stored = new SecretBox.Sealed("rFUklIBXBtCk",
                Base64.getDecoder().decode("AaChoqOkpaanqKmqq506CEIurmydWEf0uFgOpa0E8z956sM3HvksW+jSaNSFc8devAhHBgN81qg="));
        assertThat(CONTEXT).isEqualTo("11:connections;36:0b9f4c2e-5d8a-4f1e-9c3b-7a6d2e1f0c94;11:credentials;");
        assertThat(box(key).currentKeyId()).contains("rFUklIBXBtCk");
        assertThat(new String(box(key).open(stored, CONTEXT), StandardCharsets.UTF_8)).isEqualTo("{\"token\":\"sk_test_fixture\"}");
        // Parts are length-prefixed: moving a separator between them makes another context.
        assertThat(SecretBox.context("a/b", "c")).isNotEqualTo(SecretBox.context("a", "b/c"));
    }

    @Test
    void aKeyAsOpensslWritesItWithItsNewlineIsTakenAndABlankOneIsNoKey() {
        assertThat(box(NEW + "\n").currentKeyId()).isEqualTo(box(NEW).currentKeyId());
        assertThat(box("  ").canSeal()).isFalse();
        assertThatThrownBy(() -> box(NEW.replace('+', '-').replace('/', '_') + "!")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tidemark.secrets.key: not base64 (make one with: openssl rand -base64 32)");
        assertThatThrownBy(() -> box(NEW).seal(SECRET, " ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNewKeySealsWhileThePreviousOneStillOpensWhatItSealed() {
        SecretBox.Sealed before = box(OLD).seal(SECRET, CONTEXT);
        SecretBox rotated = box(NEW, OLD);
        assertThat(rotated.open(before, CONTEXT)).isEqualTo(SECRET);
        assertThat(rotated.stale(before)).isTrue();
        SecretBox.Sealed again = rotated.seal(rotated.open(before, CONTEXT), CONTEXT);
        assertThat(rotated.stale(again)).isFalse();
        assertThat(again.keyId()).isNotEqualTo(before.keyId());
        // Once the old key is dropped from the configuration, what it sealed no longer opens; what was sealed again does.
        assertThat(box(NEW).open(again, CONTEXT)).isEqualTo(SECRET);
        assertThatThrownBy(() -> box(NEW).open(before, CONTEXT)).isInstanceOf(SecretsException.class);
    }

    @Test
    void aMalformedKeyStopsStartUpNamingItsSettingAndNeverItsValue() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        List<String> problems = TidemarkConfigCheck.problems(ConfigFixtures.load("""
                tidemark:
                  secrets:
                    key: "%s"
                    previous-keys: ["not base64 at all!", "%s"]
                """.formatted(shortKey, NEW)));
        assertThat(problems).contains(
                "tidemark.secrets.key: must be 32 bytes in base64, was 16 bytes (make one with: openssl rand -base64 32)",
                "tidemark.secrets.previous-keys[0]: not base64 (make one with: openssl rand -base64 32)");
        assertThat(String.join("\n", problems)).doesNotContain(shortKey).doesNotContain(NEW);
        assertThat(TidemarkConfigCheck.problems(ConfigFixtures.load("""
                tidemark:
                  secrets:
                    previous-keys: ["%s"]
                """.formatted(OLD)))).anyMatch(p -> p.startsWith("tidemark.secrets.previous-keys: set, but tidemark.secrets.key is not"));
        assertThat(TidemarkConfigCheck.problems(ConfigFixtures.load("""
                tidemark:
                  secrets:
                    key: "%s"
                    previous-keys: ["%s"]
                """.formatted(NEW, OLD)))).noneMatch(p -> p.startsWith("tidemark.secrets"));
    }
}
