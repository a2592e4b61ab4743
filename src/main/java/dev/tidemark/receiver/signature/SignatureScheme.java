package dev.tidemark.receiver.signature;

import java.time.Instant;
import java.util.Optional;

/**
 * One way providers sign webhooks. One class per scheme; a source names its
 * scheme in configuration and holds the secrets (several during a rotation).
 * Implementations compare in constant time and try every secret, so neither
 * timing nor the number of secrets tells an attacker anything.
 */
public interface SignatureScheme {

    /**
     * @param now the current time, for schemes that reject stale timestamps
     * @return valid if any of the source's secrets produced the signature
     */
    Verification verify(SignedRequest request, Instant now);

    /** Whether a body of this media type (lower case, no parameters) is acceptable to the scheme. */
    default boolean accepts(String mediaType) {
        return "application/json".equals(mediaType);
    }

    /** The provider's own id of this delivery, where the scheme's headers carry one. */
    default Optional<String> deliveryId(SignedRequest request) {
        return Optional.empty();
    }

    /**
     * Whether {@link #deliveryId} is part of what the signature covers. Where it is not (GitHub's and
     * Shopify's delivery headers), anyone replaying a captured delivery can send it under a fresh id.
     */
    default boolean signsDeliveryId() {
        return false;
    }

    /**
     * The timestamp the signature covers, where the scheme signs one: a replay repeats it, a new delivery of the
     * same body (the same thin event for a second change) cannot have it without the secret.
     */
    default Optional<String> signedTimestamp(SignedRequest request) {
        return Optional.empty();
    }
}
