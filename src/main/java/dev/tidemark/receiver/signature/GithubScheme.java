package dev.tidemark.receiver.signature;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** GitHub: {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>}. GitHub signs no timestamp. */
public final class GithubScheme implements SignatureScheme {

    static final String SIGNATURE = "X-Hub-Signature-256";
    static final String DELIVERY = "X-GitHub-Delivery";
    private static final String PREFIX = "sha256=";

    private final List<byte[]> secrets;

    public GithubScheme(List<String> secrets) {
        this.secrets = Hmac.utf8(secrets);
    }

    @Override
    public Verification verify(SignedRequest request, Instant now) {
        Optional<String> header = request.header(SIGNATURE);
        if (header.isEmpty()) {
            return Verification.invalid(Verification.MISSING_SIGNATURE);
        }
        String value = header.get();
        if (!value.startsWith(PREFIX)) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        byte[] presented;
        try {
            presented = HexFormat.of().parseHex(value.substring(PREFIX.length()).toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Verification.invalid(Verification.MALFORMED_SIGNATURE);
        }
        return Verification.matched(Hmac.anyMatches(Hmac.SHA256, secrets, request.body(), List.of(presented)));
    }

    @Override
    public Optional<String> deliveryId(SignedRequest request) {
        return request.header(DELIVERY);
    }
}
