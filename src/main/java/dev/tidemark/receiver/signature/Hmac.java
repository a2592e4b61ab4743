package dev.tidemark.receiver.signature;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.time.DateTimeException;
import java.util.Base64;

/** HMAC signing, constant-time comparison and timestamp tolerance, shared by every scheme. */
public final class Hmac {

    public static final String SHA256 = "HmacSHA256";
    public static final String SHA512 = "HmacSHA512";

    private Hmac() {
    }

    /** @param algorithm a JCA name such as {@code HmacSHA256} */
    public static byte[] sign(String algorithm, byte[] key, byte[] content) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(content);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC " + algorithm + " unavailable", e);
        }
    }

    /** Compares in time independent of where the inputs differ (MessageDigest.isEqual is constant-time). */
    public static boolean same(byte[] expected, byte[] actual) {
        return actual != null && MessageDigest.isEqual(expected, actual);
    }

    /**
     * Whether any secret signs {@code content} to any of the presented signatures.
     * Every pair is computed and compared, with no early exit.
     */
    public static boolean anyMatches(String algorithm, List<byte[]> secrets, byte[] content, List<byte[]> presented) {
        boolean matched = false;
        for (byte[] secret : secrets) {
            byte[] expected = sign(algorithm, secret, content);
            for (byte[] candidate : presented) {
                matched |= same(expected, candidate);
            }
        }
        return matched;
    }

    public static List<byte[]> utf8(List<String> secrets) {
        return secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** Concatenates the pieces of a signed payload without copying the body more than once. */
    public static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Decodes base64 only in its canonical form, or returns null. The lenient
     * decoder ignores the unused low bits of the last character, so two
     * different strings could stand for one signature; a provider's own
     * encoder always writes the canonical one.
     */
    public static byte[] base64(String text) {
        try {
            byte[] bytes = Base64.getDecoder().decode(text);
            return Base64.getEncoder().encodeToString(bytes).equals(text) ? bytes : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether a signing time in epoch seconds (as text) is within {@code tolerance} of now, either way. */
    public static boolean withinTolerance(String epochSeconds, Instant now, Duration tolerance) {
        try {
            return within(Instant.ofEpochSecond(Long.parseLong(epochSeconds.trim())), now, tolerance);
        } catch (NumberFormatException | DateTimeException e) {
            return false;
        }
    }

    /** Whether {@code signedAt} is within {@code tolerance} of now, either way. */
    public static boolean within(Instant signedAt, Instant now, Duration tolerance) {
        return Duration.between(signedAt, now).abs().compareTo(tolerance) <= 0;
    }
}
