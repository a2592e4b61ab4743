package dev.tidemark.receiver.signature;

import dev.tidemark.change.Timestamps;
import dev.tidemark.config.ConfigKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A configurable HMAC for providers without a named scheme: which header holds
 * the signature, SHA-256 or SHA-512, hex or base64, an optional prefix
 * ({@code sha256=}), an optional timestamp header (epoch seconds or
 * milliseconds, or ISO-8601), and a template of what is signed
 * ({@code {timestamp}.{body}}, or HubSpot's {@code {method}{url}{body}{timestamp}}).
 */
public final class GenericHmacScheme implements SignatureScheme {

    /** How the signature is written in its header ({@code webhook.hmac.encoding}). */
    public enum Encoding implements ConfigKind { HEX, BASE64 }

    private final String header;
    private final String jcaAlgorithm;
    private final Encoding encoding;
    private final String prefix;
    private final Optional<String> timestampHeader;
    private final String signedContent;
    private final Duration tolerance;
    private final List<byte[]> secrets;

    public GenericHmacScheme(String header, String algorithm, Encoding encoding, String prefix,
            Optional<String> timestampHeader, String signedContent, Duration tolerance, List<String> secrets) {
        this.header = header;
        this.jcaAlgorithm = jcaName(algorithm);
        this.encoding = encoding;
        this.prefix = prefix;
        this.timestampHeader = timestampHeader;
        this.signedContent = signedContent;
        this.tolerance = tolerance;
        this.secrets = Hmac.utf8(secrets);
    }

    public static String jcaName(String algorithm) {
        return HmacAlgorithm.named(algorithm).jcaName();
    }

    @Override
    public Optional<String> signedTimestamp(SignedRequest request) {
        return timestampHeader.flatMap(request::header);
    }

    @Override
    public Verification verify(SignedRequest request, Instant now) {
        Optional<String> presented = request.header(header);
        if (presented.isEmpty()) {
            return Verification.invalid(Verification.MISSING_SIGNATURE);
        }
        String timestamp = "";
        if (timestampHeader.isPresent()) {
            Optional<String> ts = request.header(timestampHeader.get());
            if (ts.isEmpty()) {
                return Verification.invalid(Verification.MISSING_TIMESTAMP);
            }
            timestamp = ts.get();
            Optional<Instant> signedAt = Timestamps.parse(timestamp);
            if (signedAt.isEmpty() || !Hmac.within(signedAt.get(), now, tolerance)) {
                return Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE);
            }
        }
        String value = presented.get();
        if (!value.startsWith(prefix)) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        byte[] signature = decode(value.substring(prefix.length()));
        if (signature == null) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        return Verification.matched(Hmac.anyMatches(jcaAlgorithm, secrets, content(timestamp, request.url(), request.body()),
                List.of(signature)));
    }

    /** The signature a provider would send for this body; used by tests, the demo and docs. */
    public String sign(String secret, String timestamp, byte[] body) {
        return sign(secret, timestamp, "", body);
    }

    /** The signature a provider would send for this body, called at {@code url}. */
    public String sign(String secret, String timestamp, String url, byte[] body) {
        byte[] mac = Hmac.sign(jcaAlgorithm, secret.getBytes(StandardCharsets.UTF_8), content(timestamp, url, body));
        return prefix + (encoding == Encoding.HEX ? HexFormat.of().formatHex(mac) : Base64.getEncoder().encodeToString(mac));
    }

    /** Webhooks are POSTed: {@code {method}} is always this. */
    static final String METHOD = "POST";

    private byte[] content(String timestamp, String url, byte[] body) {
        int at = signedContent.indexOf("{body}");
        return Hmac.concat(Hmac.utf8(fill(signedContent.substring(0, at), timestamp, url)), body,
                Hmac.utf8(fill(signedContent.substring(at + "{body}".length()), timestamp, url)));
    }

    /** One pass over the template, so a header's text that looks like a placeholder is signed as it is. */
    private static String fill(String template, String timestamp, String url) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            if (template.startsWith("{timestamp}", i)) {
                out.append(timestamp);
                i += "{timestamp}".length();
            } else if (template.startsWith("{url}", i)) {
                out.append(url);
                i += "{url}".length();
            } else if (template.startsWith("{method}", i)) {
                out.append(METHOD);
                i += "{method}".length();
            } else {
                out.append(template.charAt(i++));
            }
        }
        return out.toString();
    }

    private byte[] decode(String text) {
        if (encoding == Encoding.BASE64) {
            return Hmac.base64(text);
        }
        try {
            return HexFormat.of().parseHex(text.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
