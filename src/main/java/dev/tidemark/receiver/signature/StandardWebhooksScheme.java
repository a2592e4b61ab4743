package dev.tidemark.receiver.signature;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Standard Webhooks (standardwebhooks.com): headers {@code webhook-id},
 * {@code webhook-timestamp} and {@code webhook-signature}, the last a
 * space-separated list of {@code v1,<base64>} entries, each HMAC-SHA256 of
 * {@code id + "." + timestamp + "." + body}. Secrets are {@code whsec_} followed
 * by the base64 key.
 */
public final class StandardWebhooksScheme implements SignatureScheme {

    static final String ID = "webhook-id";
    static final String TIMESTAMP = "webhook-timestamp";
    static final String SIGNATURE = "webhook-signature";
    private static final String SECRET_PREFIX = "whsec_";

    private final List<byte[]> secrets;
    private final Duration tolerance;

    public StandardWebhooksScheme(List<String> secrets, Duration tolerance) {
        this.secrets = secrets.stream().map(StandardWebhooksScheme::key).toList();
        this.tolerance = tolerance;
    }

    /** The HMAC key of a {@code whsec_…} secret; a secret that is not base64 is a configuration error. */
    static byte[] key(String secret) {
        String encoded = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        try {
            return Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a standard-webhooks secret must be whsec_ followed by base64", e);
        }
    }

    @Override
    public Verification verify(SignedRequest request, Instant now) {
        Optional<String> id = request.header(ID);
        Optional<String> header = request.header(SIGNATURE);
        if (header.isEmpty() || id.isEmpty()) {
            return Verification.invalid(Verification.MISSING_SIGNATURE);
        }
        Optional<String> timestamp = request.header(TIMESTAMP);
        if (timestamp.isEmpty()) {
            return Verification.invalid(Verification.MISSING_TIMESTAMP);
        }
        if (!Hmac.withinTolerance(timestamp.get(), now, tolerance)) {
            return Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE);
        }
        List<byte[]> presented = new ArrayList<>();
        for (String entry : header.get().split(" ")) {
            int comma = entry.indexOf(',');
            if (comma < 0) {
                continue;
            }
            byte[] decoded = entry.substring(0, comma).equals("v1") ? Hmac.base64(entry.substring(comma + 1)) : null;
            // One unreadable entry does not invalidate the others.
            if (decoded != null) {
                presented.add(decoded);
            }
        }
        if (presented.isEmpty()) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        byte[] content = Hmac.concat(Hmac.utf8(id.get() + "." + timestamp.get() + "."), request.body());
        return Verification.matched(Hmac.anyMatches(Hmac.SHA256, secrets, content, presented));
    }

    @Override
    public Optional<String> deliveryId(SignedRequest request) {
        return request.header(ID);
    }

    /** webhook-id is the first part of the signed content. */
    @Override
    public boolean signsDeliveryId() {
        return true;
    }
}
