package dev.tidemark.poller;

import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Where a source's credentials may go: the origin (scheme, host, port) of its
 * {@code api.base-url}, and those its {@code api.allowed-origins} lists. A
 * provider's answers are not trusted: a next-page link, a Link header or a
 * resumed checkpoint's URL naming any other origin — another host or port,
 * {@code http} under an {@code https} base URL, or user-info in the URL — is
 * refused before a request is made, so a bearer token, an API key or an OAuth
 * token never leaves for a place the operator did not name. Pure.
 */
public final class ProviderOrigins {

    private final Set<String> allowed;

    private ProviderOrigins(Set<String> allowed) {
        this.allowed = allowed;
    }

    /** The base URL's origin and each allowed one; each must be an absolute http(s) URL (checked at start-up). */
    public static ProviderOrigins of(String baseUrl, List<String> allowedOrigins) {
        Set<String> allowed = new LinkedHashSet<>();
        allowed.add(origin(URI.create(baseUrl)).orElseThrow(() -> new IllegalArgumentException("base-url has no origin")));
        for (String other : allowedOrigins) {
            allowed.add(origin(URI.create(other)).orElseThrow(() -> new IllegalArgumentException("'" + other + "' has no origin")));
        }
        return new ProviderOrigins(Set.copyOf(allowed));
    }

    /**
     * Why {@code uri} may not be called with the source's credentials, or empty if it may. The reason names the
     * origin only, never the whole URL: its path or query may carry a key or a signature.
     */
    public Optional<String> refusal(URI uri) {
        if (uri.getRawUserInfo() != null) {
            return Optional.of("the URL carries user-info; credentials go only to " + String.join(", ", allowed));
        }
        Optional<String> origin = origin(uri);
        if (origin.isEmpty()) {
            return Optional.of("the URL is not an absolute http(s) URL; credentials go only to " + String.join(", ", allowed));
        }
        if (!allowed.contains(origin.get())) {
            return Optional.of("the URL's origin " + origin.get() + " is not the source's (" + String.join(", ", allowed)
                    + "); add it to api.allowed-origins if the provider really serves pages there");
        }
        return Optional.empty();
    }

    /** {@code scheme://host:port} with the scheme's default port made explicit, or empty for anything but http(s). */
    static Optional<String> origin(URI uri) {
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme) || uri.getHost() == null) {
            return Optional.empty();
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
        return Optional.of(scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port);
    }
}
