package dev.tidemark.secrets;

import dev.tidemark.config.TidemarkConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets for storage: AES-256-GCM under the configured key, with a
 * random 96-bit nonce per value and the value's context (which row and field
 * it belongs to, see {@link #context}) as associated data, so a sealed value
 * moved to another row does not open. Each sealed value names its key by a
 * fingerprint, so a new key can be configured while values sealed under the
 * previous ones still open, until they are sealed again under the new one.
 *
 * <p>The box is {@code version (1 byte) | nonce (12) | ciphertext | tag (16)};
 * the version byte is authenticated with the context. The JDK's own AES-GCM:
 * no library adds anything a stored secret needs here, and this keeps the
 * format ours to document (operations.md, "Secrets").
 */
@ApplicationScoped
public class SecretBox {

    /** A sealed value: the fingerprint of the key it is sealed under, and version, nonce, ciphertext and tag in one array. */
    public record Sealed(String keyId, byte[] box) {

        public Sealed {
            box = box.clone();
        }

        @Override
        public byte[] box() {
            return box.clone();
        }
    }

    /** The only format so far; a later one gets another byte, so both can be read. */
    static final byte VERSION = 1;
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;

    private final Optional<Key> current;
    private final Map<String, Key> keys;
    private final SecureRandom random = new SecureRandom();

    private record Key(String id, SecretKeySpec spec) {

        /** Not the record's own: that would print the key spec's hash code, which is made of the key. */
        @Override
        public String toString() {
            return "key " + id;
        }
    }

    /**
     * The associated data of a value: its parts (say table, row id, field) each
     * prefixed with its length, so no two lists of parts give the same bytes
     * ("a/b" + "c" is not "a" + "b/c"). Use an id a row keeps for ever, not a
     * name a later row could take again.
     */
    public static String context(String... parts) {
        StringBuilder text = new StringBuilder();
        for (String part : parts) {
            text.append(part.length()).append(':').append(part).append(';');
        }
        return text.toString();
    }

    @Inject
    public SecretBox(TidemarkConfig config) {
        this(config.secrets().key(), config.secrets().previousKeys().orElse(List.of()));
    }

    /** A box with these keys, as the settings would give them (for tools and tests that rotate keys). */
    public static SecretBox of(Optional<String> key, List<String> previousKeys) {
        return new SecretBox(key, previousKeys);
    }

    /** @throws IllegalArgumentException (naming the key's setting, never the key) for a key that is not 32 bytes of base64 */
    SecretBox(Optional<String> key, List<String> previous) {
        this.current = key.filter(k -> !k.isBlank()).map(k -> key("tidemark.secrets.key", k));
        this.keys = new LinkedHashMap<>();
        current.ifPresent(k -> keys.put(k.id(), k));
        for (int i = 0; i < previous.size(); i++) {
            Key earlier = key("tidemark.secrets.previous-keys[" + i + "]", previous.get(i));
            keys.putIfAbsent(earlier.id(), earlier);
        }
    }

    /** True if a key is configured: only then can a secret be stored. */
    public boolean canSeal() {
        return current.isPresent();
    }

    /** The fingerprint of the key new values are sealed under, if one is configured. */
    public Optional<String> currentKeyId() {
        return current.map(Key::id);
    }

    /**
     * Seals {@code plaintext} for the row and field {@code context} names.
     *
     * @throws SecretsException when no key is configured: a secret is never stored in clear
     */
    public Sealed seal(byte[] plaintext, String context) {
        Key key = current.orElseThrow(() -> new SecretsException("no key is configured (tidemark.secrets.key), and a "
                + "secret is never stored in clear: configure one to store credentials"));
        requireContext(context);
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associated(context));
            byte[] sealed = cipher.doFinal(plaintext);
            return new Sealed(key.id(), ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length).put(VERSION).put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Opens a value sealed for {@code context}.
     *
     * @throws SecretsException when its key is not configured, or it does not open under that key (another key
     *         with the same fingerprint cannot exist; so the value, or its context, was altered)
     */
    public byte[] open(Sealed sealed, String context) {
        Key key = keys.get(sealed.keyId());
        if (key == null) {
            throw new SecretsException("a value for " + context + " is sealed under key " + sealed.keyId()
                    + ", which is not configured (tidemark.secrets.key or previous-keys: configured " + keys.keySet() + ")");
        }
        requireContext(context);
        byte[] box = sealed.box();
        if (box.length < 1 + NONCE_BYTES + TAG_BITS / 8) {
            throw new SecretsException("the value for " + context + " is too short to be a sealed value");
        }
        if (box[0] != VERSION) {
            throw new SecretsException("the value for " + context + " is in format " + box[0] + ", which this version cannot read");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BITS, box, 1, NONCE_BYTES));
            cipher.updateAAD(associated(context));
            return cipher.doFinal(box, 1 + NONCE_BYTES, box.length - 1 - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new SecretsException("the value for " + context + " does not open under key " + key.id()
                    + ": it, or the row it belongs to, was altered");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /** The bytes authenticated with a value: the format's version, then the context. */
    private static byte[] associated(String context) {
        byte[] text = context.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + text.length).put(VERSION).put(text).array();
    }

    private static void requireContext(String context) {
        if (context == null || context.isBlank()) {
            throw new IllegalArgumentException("a sealed value needs the context (row and field) it belongs to");
        }
    }

    /** True if {@code sealed} is under a key other than the current one: it should be sealed again. */
    public boolean stale(Sealed sealed) {
        return current.map(key -> !key.id().equals(sealed.keyId())).orElse(false);
    }

    /** What is wrong with the configured keys, each problem naming its setting and never a key. */
    public static List<String> problems(TidemarkConfig.Secrets secrets) {
        List<String> problems = new ArrayList<>();
        secrets.key().filter(k -> !k.isBlank()).ifPresent(k -> problem("tidemark.secrets.key", k).ifPresent(problems::add));
        List<String> previous = secrets.previousKeys().orElse(List.of());
        for (int i = 0; i < previous.size(); i++) {
            problem("tidemark.secrets.previous-keys[" + i + "]", previous.get(i)).ifPresent(problems::add);
        }
        if (secrets.key().filter(k -> !k.isBlank()).isEmpty() && !previous.isEmpty()) {
            problems.add("tidemark.secrets.previous-keys: set, but tidemark.secrets.key is not: new values need a current key");
        }
        return problems;
    }

    private static Optional<String> problem(String setting, String text) {
        try {
            key(setting, text);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static Key key(String setting, String text) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ": not base64 (make one with: openssl rand -base64 32)");
        }
        if (bytes.length != KEY_BYTES) {
            throw new IllegalArgumentException(setting + ": must be " + KEY_BYTES + " bytes in base64, was " + bytes.length
                    + " bytes (make one with: openssl rand -base64 32)");
        }
        return new Key(fingerprint(bytes), new SecretKeySpec(bytes, "AES"));
    }

    /** A key's name in stored values: a hash of it, which tells nothing of the key and needs no configuring. */
    static String fingerprint(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("tidemark secret key id\n".getBytes(StandardCharsets.UTF_8));
            byte[] digest = sha.digest(key);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
