package dev.tidemark.poller;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A provider's answer: status, headers (lower-case names) and body, and the
 * OAuth2 access token the request carried (null for other auth), so a 401
 * rejects exactly that token, and when its head arrived ({@link System#nanoTime()}), which a rate limiter counting
 * the provider's window takes as the latest time the provider can have counted the call.
 * {@link #toString()} leaves the token and body out.
 */
public record ProviderResponse(int status, Map<String, List<String>> headers, String body, String accessToken, long answeredNanos) {

    /** An answer whose head arrived now. */
    public ProviderResponse(int status, Map<String, List<String>> headers, String body) {
        this(status, headers, body, null, System.nanoTime());
    }

    public ProviderResponse(int status, Map<String, List<String>> headers, String body, long answeredNanos) {
        this(status, headers, body, null, answeredNanos);
    }

    public List<String> header(String name) {
        return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }

    ProviderResponse withAccessToken(String token) {
        return new ProviderResponse(status, headers, body, token, answeredNanos);
    }

    @Override
    public String toString() {
        return "ProviderResponse[status=" + status + ", " + (body == null ? 0 : body.length()) + " chars]";
    }
}
