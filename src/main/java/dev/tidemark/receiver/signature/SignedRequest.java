package dev.tidemark.receiver.signature;

import java.util.Optional;
import java.util.function.Function;

/**
 * What a signature scheme may look at: the raw body, exactly as received, the
 * request headers (looked up case-insensitively by the caller's function), and
 * the URL the provider called (see tidemark.receiver.public-url).
 */
public record SignedRequest(byte[] body, Function<String, String> headers, String url) {

    /** A request whose URL no scheme signs. */
    public SignedRequest(byte[] body, Function<String, String> headers) {
        this(body, headers, "");
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.apply(name)).map(String::trim).filter(v -> !v.isEmpty());
    }
}
