package dev.tidemark.poller;

import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionLimits;

/**
 * One connection's call budget in a replica: its requests per second, burst
 * and calls in flight. The source's {@code api.rate-limit} is every
 * connection's default (no rate-limit: effectively unlimited, 1,000/s, four
 * at once); a connection's own parts take their place. The provider's
 * rate-limit headers then adapt the pace (see {@link RateLimiter}).
 */
record CallLimits(double requestsPerSecond, int burst, int maxConcurrency) {

    static CallLimits of(TidemarkConfig.ProviderApi api, ConnectionLimits own) {
        var source = api.rateLimit();
        return new CallLimits(
                own.requestsPerSecond().orElseGet(() -> source.map(TidemarkConfig.RateLimit::requestsPerSecond).orElse(1_000.0)),
                own.burst().orElseGet(() -> source.flatMap(TidemarkConfig.RateLimit::burst).orElse(1)),
                own.maxConcurrency().orElseGet(() -> source.flatMap(TidemarkConfig.RateLimit::maxConcurrency).orElse(4)));
    }
}
