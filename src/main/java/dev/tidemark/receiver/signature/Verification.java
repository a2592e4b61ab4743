package dev.tidemark.receiver.signature;

/** The outcome of checking a delivery's signature; {@code reason} names a failure for metrics and logs. */
public record Verification(boolean valid, String reason) {

    public static final Verification VALID = new Verification(true, "valid");

    /** The outcome of comparing signatures: valid, or a mismatch. */
    public static Verification matched(boolean matched) {
        return matched ? VALID : invalid(SIGNATURE_MISMATCH);
    }

    public static Verification invalid(String reason) {
        return new Verification(false, reason);
    }

    public static final String MISSING_SIGNATURE = "missing_signature";
    public static final String MALFORMED_SIGNATURE = "malformed_signature";
    public static final String SIGNATURE_MISMATCH = "signature_mismatch";
    public static final String MISSING_TIMESTAMP = "missing_timestamp";
    public static final String TIMESTAMP_OUTSIDE_TOLERANCE = "timestamp_outside_tolerance";
}
