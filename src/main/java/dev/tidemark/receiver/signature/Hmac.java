package dev.tidemark.receiver.signature;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC signing and constant-time comparison, shared by every scheme. */
public final class Hmac {

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
}
