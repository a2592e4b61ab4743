package dev.tidemark.receiver.signature;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Stripe: {@code Stripe-Signature: t=<epoch seconds>,v1=<hex>[,v1=<hex>…]},
 * where each v1 is HMAC-SHA256 of {@code t + "." + body} keyed by the endpoint
 * secret's UTF-8 bytes ({@code whsec_…} as is). Any v1 may match; other
 * schemes in the header (v0) are ignored, as Stripe's own libraries do.
 */
public final class StripeScheme implements SignatureScheme {

    static final String SIGNATURE = "Stripe-Signature";

    private final List<byte[]> secrets;
    private final Duration tolerance;

    public StripeScheme(List<String> secrets, Duration tolerance) {
        this.secrets = Hmac.utf8(secrets);
        this.tolerance = tolerance;
    }

    @Override
    public Optional<String> signedTimestamp(SignedRequest request) {
        String timestamp = null;
        for (String item : request.header(SIGNATURE).orElse("").split(",")) {
            int eq = item.indexOf('=');
            if (eq > 0 && item.substring(0, eq).trim().equals("t")) {
                timestamp = item.substring(eq + 1).trim();   // the last, as verify() takes it
            }
        }
        return Optional.ofNullable(timestamp);
    }

    @Override
    public Verification verify(SignedRequest request, Instant now) {
        Optional<String> header = request.header(SIGNATURE);
        if (header.isEmpty()) {
            return Verification.invalid(Verification.MISSING_SIGNATURE);
        }
        String timestamp = null;
        List<byte[]> presented = new ArrayList<>();
        for (String item : header.get().split(",")) {
            int eq = item.indexOf('=');
            if (eq < 0) {
                return Verification.invalid(Verification.MALFORMED_SIGNATURE);
            }
            String key = item.substring(0, eq).trim();
            String value = item.substring(eq + 1).trim();
            if (key.equals("t")) {
                timestamp = value;
            } else if (key.equals("v1")) {
                try {
                    presented.add(HexFormat.of().parseHex(value.toLowerCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    return Verification.invalid(Verification.MALFORMED_SIGNATURE);
                }
            }
        }
        if (timestamp == null) {
            return Verification.invalid(Verification.MISSING_TIMESTAMP);
        }
        if (presented.isEmpty()) {
            return Verification.invalid(Verification.MISSING_SIGNATURE);
        }
        if (!Hmac.withinTolerance(timestamp, now, tolerance)) {
            return Verification.invalid(Verification.TIMESTAMP_OUTSIDE_TOLERANCE);
        }
        byte[] content = Hmac.concat(Hmac.utf8(timestamp + "."), request.body());
        return Verification.matched(Hmac.anyMatches(Hmac.SHA256, secrets, content, presented));
    }
}
