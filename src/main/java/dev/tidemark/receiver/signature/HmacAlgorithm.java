package dev.tidemark.receiver.signature;

import dev.tidemark.config.ConfigKind;
import java.util.Locale;

/** The hash of a configurable HMAC ({@code webhook.hmac.algorithm}). */
public enum HmacAlgorithm implements ConfigKind {

    SHA256(Hmac.SHA256),
    SHA512(Hmac.SHA512);

    private final String jcaName;

    HmacAlgorithm(String jcaName) {
        this.jcaName = jcaName;
    }

    /** The JCA name, such as {@code HmacSHA256}. */
    public String jcaName() {
        return jcaName;
    }

    /** @throws IllegalArgumentException for a name that is no algorithm here (any case is accepted) */
    public static HmacAlgorithm named(String name) {
        return ConfigKind.named(HmacAlgorithm.class, name.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> new IllegalArgumentException("unknown HMAC algorithm " + name));
    }
}
