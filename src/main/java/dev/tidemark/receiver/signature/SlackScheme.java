package dev.tidemark.receiver.signature;

import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Slack: {@code X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" + timestamp + ":" + body>}
 * with the timestamp in {@code X-Slack-Request-Timestamp}. Slack sends JSON
 * (Events API) and form-encoded bodies (slash commands, interactivity).
 */
public final class SlackScheme implements SignatureScheme {

    static final String SIGNATURE = "X-Slack-Signature";
    static final String TIMESTAMP = "X-Slack-Request-Timestamp";
    private static final String VERSION = "v0";

    private final List<byte[]> secrets;
    private final Duration tolerance;

    public SlackScheme(List<String> secrets, Duration tolerance) {
        this.secrets = Hmac.utf8(secrets);
        this.tolerance = tolerance;
    }

    @Override
    public Verification verify(SignedRequest request, Instant now) {
        Optional<String> header = request.header(SIGNATURE);
        if (header.isEmpty()) {
            return Verification.invalid(Verification.MISSING_SIGNATURE);
        }
        Optional<String> timestamp = request.header(TIMESTAMP);
        if (timestamp.isEmpty()) {
            return Verification.invalid(Verification.MISSING_TIMESTAMP);
        }
        if (!Hmac.withinTolerance(timestamp.get(), now, tolerance)) {
            return Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE);
        }
        String value = header.get();
        if (!value.startsWith(VERSION + "=")) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        byte[] presented;
        try {
            presented = HexFormat.of().parseHex(value.substring(VERSION.length() + 1).toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        byte[] content = Hmac.concat(Hmac.utf8(VERSION + ":" + timestamp.get() + ":"), request.body());
        return Verification.matched(Hmac.anyMatches(Hmac.SHA256, secrets, content, List.of(presented)));
    }

    @Override
    public Optional<String> signedTimestamp(SignedRequest request) {
        return request.header(TIMESTAMP);
    }

    @Override
    public boolean accepts(String mediaType) {
        return "application/json".equals(mediaType) || "application/x-www-form-urlencoded".equals(mediaType);
    }
}
