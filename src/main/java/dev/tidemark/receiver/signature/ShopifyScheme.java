package dev.tidemark.receiver.signature;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Shopify: {@code X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>}. Shopify signs no timestamp. */
public final class ShopifyScheme implements SignatureScheme {

    static final String SIGNATURE = "X-Shopify-Hmac-Sha256";
    static final String DELIVERY = "X-Shopify-Webhook-Id";

    private final List<byte[]> secrets;

    public ShopifyScheme(List<String> secrets) {
        this.secrets = Hmac.utf8(secrets);
    }

    @Override
    public Verification verify(SignedRequest request, Instant now) {
        Optional<String> header = request.header(SIGNATURE);
        if (header.isEmpty()) {
            return Verification.invalid(Verification.MISSING_SIGNATURE);
        }
        byte[] presented = Hmac.base64(header.get());
        if (presented == null) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        return Verification.matched(Hmac.anyMatches(Hmac.SHA256, secrets, request.body(), List.of(presented)));
    }

    @Override
    public Optional<String> deliveryId(SignedRequest request) {
        return request.header(DELIVERY);
    }
}
