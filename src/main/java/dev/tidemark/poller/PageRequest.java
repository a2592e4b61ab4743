package dev.tidemark.poller;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One GET a walk makes: a path under the source's base URL with query
 * parameters, or a URL the provider handed out (a next link) taken as it is.
 */
public record PageRequest(String target, Map<String, String> query, boolean link) {

    /** A configured path: it joins the base URL's own path (https://api.example/v2 + /items = /v2/items). */
    public static PageRequest path(String path, Map<String, String> query) {
        return new PageRequest(path, Map.copyOf(new LinkedHashMap<>(query)), false);
    }

    /** A URL from the provider (next-url, Link header): a relative one resolves against the base URL as a browser would. */
    public static PageRequest url(String url) {
        return new PageRequest(url, Map.of(), true);
    }

    /** The absolute URI to call. Query parameters are sorted, so a request always reads the same in logs and tests. */
    public URI resolve(URI baseUrl) {
        String base = baseUrl.toString();
        URI uri;
        if (link) {
            uri = baseUrl.resolve(URI.create(target));
        } else {
            String path = target.startsWith("/") ? target : "/" + target;
            uri = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) + path : base + path);
        }
        if (query.isEmpty()) {
            return uri;
        }
        String extra = query.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        String text = uri.toString();
        return URI.create(text + (uri.getRawQuery() == null ? "?" : "&") + extra);
    }

    /** Percent-encoding for a query value (a space as %20, a slash encoded). */
    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Percent-encoding for one path segment filled with an id the provider or a webhook gave: as a query value,
     * and a segment of {@code .} or {@code ..} with its dots encoded too, so that an id cannot walk up the
     * provider's path ({@code /items/..} is the provider's root to every URL resolver and most servers).
     */
    static String segment(String text) {
        String encoded = encode(text);
        return encoded.equals(".") || encoded.equals("..") ? encoded.replace(".", "%2E") : encoded;
    }
}
