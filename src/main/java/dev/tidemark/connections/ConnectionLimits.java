package dev.tidemark.connections;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A connection's own rate limit, where its account's quota at the provider is
 * not the source's: each part present overrides the source's
 * {@code api.rate-limit} for this connection only; an absent one keeps the
 * source's. {@link #NONE} overrides nothing.
 */
public record ConnectionLimits(Optional<Double> requestsPerSecond, Optional<Integer> burst, Optional<Integer> maxConcurrency) {

    public static final ConnectionLimits NONE = new ConnectionLimits(Optional.empty(), Optional.empty(), Optional.empty());

    public boolean isEmpty() {
        return requestsPerSecond.isEmpty() && burst.isEmpty() && maxConcurrency.isEmpty();
    }

    /** As the API shows it and the row stores it: only the parts present. */
    public Map<String, Number> asMap() {
        Map<String, Number> map = new LinkedHashMap<>();
        requestsPerSecond.ifPresent(rate -> map.put("requestsPerSecond", rate));
        burst.ifPresent(b -> map.put("burst", b));
        maxConcurrency.ifPresent(c -> map.put("maxConcurrency", c));
        return map;
    }

    static ConnectionLimits of(Map<String, Double> stored) {
        if (stored == null || stored.isEmpty()) {
            return NONE;
        }
        return new ConnectionLimits(Optional.ofNullable(stored.get("requestsPerSecond")),
                Optional.ofNullable(stored.get("burst")).map(Double::intValue),
                Optional.ofNullable(stored.get("maxConcurrency")).map(Double::intValue));
    }

    Map<String, Double> stored() {
        if (isEmpty()) {
            return null;
        }
        Map<String, Double> map = new LinkedHashMap<>();
        asMap().forEach((key, value) -> map.put(key, value.doubleValue()));
        return map;
    }
}
