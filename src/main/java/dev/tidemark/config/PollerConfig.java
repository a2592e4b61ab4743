package dev.tidemark.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The poller's own settings: {@code tidemark.poller.*}. */
public interface PollerConfig {
    /** A call with no byte from the provider for this long has failed (and is retried). */
    @WithDefault("30s")
    Duration requestTimeout();

    /**
     * A call not answered in full within this long has failed (and is retried), however steadily the
     * provider trickles bytes: a source's concurrency slot is never held longer. For list, record and
     * OAuth2 token calls alike.
     */
    @WithDefault("2m")
    Duration requestDeadline();

    /**
     * The largest answer read from a provider (list page, record, token); a longer one is cut off and
     * fails the call (not retried): the run ends with that reason, and memory stays bounded.
     */
    @WithDefault("8M")
    MemorySize maxResponseSize();

    /** Attempts of one call that fails with 5xx, a timeout or a connection error, the first included. */
    @WithDefault("5")
    int retryAttempts();

    /** First retry waits up to this (full jitter), doubling each time... */
    @WithDefault("500ms")
    Duration retryBase();

    /** ...up to this. */
    @WithDefault("30s")
    Duration retryMax();

    /** A 429/503 asking to wait longer than this ends the run as partial; the next run resumes from its checkpoint. */
    @WithDefault("5m")
    Duration maxRateLimitWait();

    /**
     * The longest a provider's rate-limit headers (Retry-After, a quota's reset) can pause a source:
     * a longer ask, such as a reset in milliseconds read as seconds, is taken as this.
     */
    @WithDefault("1h")
    Duration maxProviderWait();

    /**
     * Pages one run reads at most (all parents' together, for a nested resource); the run then stops as
     * partial and the next one continues from its checkpoint. A bound for a provider whose offset or page
     * walk never ends; a reconciliation sweep must fit in it to delete anything. Per resource: max-pages.
     */
    @WithDefault("100000")
    long maxPages();

    /** How long one poll may go on; then it stops as partial, like max-pages. Per resource: max-run-duration. */
    @WithDefault("2h")
    Duration maxRunDuration();

    /**
     * How long one reconciliation sweep may go on. A sweep cannot resume (the next starts from the first
     * page) and deletes nothing unless it ends, so this is longer than a poll's; but it holds the resource
     * (its polls wait) and must end. Per resource: max-sweep-duration.
     */
    @WithDefault("12h")
    Duration maxSweepDuration();

    /**
     * A webhook delivery asking to refetch a record (a thin event, an ordering conflict) is served once
     * within this window: a replay of it (the same body, or the same signed id where the scheme signs one,
     * whatever unsigned delivery-id header it comes with)
     * is dropped and counted (tidemark_poller_refetches_total{outcome="replayed"}), so a captured delivery
     * cannot drain the provider's quota.
     */
    @WithDefault("1h")
    Duration refetchReplayWindow();

    /** How often a poller replica reads the schedule for due polls and sweeps: a sweep waits at most this after the poll holding its resource ends. */
    @WithDefault("1s")
    Duration scheduleTick();

    /**
     * The replica-wide pool: how many runs one poller replica has in flight at once. Due work beyond it stays due,
     * oldest first, for this replica's next tick or another replica. A sync asked for through the API counts, and
     * is answered 503 while the pool is full.
     */
    @WithDefault("16")
    int maxRuns();

    /** Of those, how many one connection (one account at its provider) may have: its resources run this many at a time. */
    @WithDefault("4")
    int maxRunsPerConnection();

    /**
     * An OAuth2 access token is renewed this long before it expires at the earliest...
     */
    @WithDefault("60s")
    Duration tokenRefreshAheadMin();

    /**
     * ...and at the latest: each token at a random point of the window, so that a thousand connections' tokens are
     * not renewed in the same second. A token whose lifetime is under twice this is renewed at 75–90 % of it.
     */
    @WithDefault("180s")
    Duration tokenRefreshAheadMax();

    /** A replica's claim on a resource: renewed after every page, taken over by another replica once expired. */
    @WithDefault("60s")
    Duration leaseTtl();

    /**
     * Pages a walk reads ahead of the one going downstream, so calls overlap Kafka and the checkpoint.
     * A walk killed mid-way fetches again the page it had not checkpointed and these; 0 makes it one page.
     */
    @WithDefault("1")
    int prefetchPages();

    /** The circuit breaker per source counts the provider's failures over this many calls... */
    @WithDefault("20")
    int circuitBreakerVolume();

    /** ...opens when this share of them failed... */
    @WithDefault("0.5")
    double circuitBreakerRatio();

    /** ...and lets a call through again after this long. */
    @WithDefault("30s")
    Duration circuitBreakerDelay();

    /**
     * A reconciliation sweep that would delete more than this share of a resource's records deletes
     * nothing and fails: an API answering an empty list by mistake must not empty the local copy.
     */
    @WithDefault("0.5")
    double sweepMaxDeleteShare();
}

