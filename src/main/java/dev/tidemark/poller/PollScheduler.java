package dev.tidemark.poller;

import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Starts each resource's incremental poll on its {@code schedule}, and once
 * soon after start-up (a first run with no checkpoint is a full backfill), and
 * its reconciliation sweep on its {@code reconcile} interval.
 * In a replica with the poller role only; the lease keeps two replicas from
 * running the same resource, so every poller replica may schedule every
 * resource.
 */
@ApplicationScoped
public class PollScheduler {

    private static final Logger LOG = Logger.getLogger(PollScheduler.class);
    static final Duration FIRST_RUN_DELAY = Duration.ofSeconds(2);
    static final Duration SWEEP_RETRY = Duration.ofMinutes(1);

    private final TidemarkConfig config;
    private final ResourceSync sync;
    private final Vertx vertx;
    private final List<Long> timers = new ArrayList<>();

    private final ProviderClient client;
    private final io.micrometer.core.instrument.MeterRegistry metrics;

    public PollScheduler(TidemarkConfig config, ResourceSync sync, Vertx vertx, ProviderClient client,
            io.micrometer.core.instrument.MeterRegistry metrics) {
        this.config = config;
        this.sync = sync;
        this.vertx = vertx;
        this.client = client;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent started) {
        if (!Roles.parse(config.roles().orElse(null)).contains(Roles.POLLER)) {
            return;
        }
        config.sources().forEach((source, settings) -> settings.api().flatMap(TidemarkConfig.ProviderApi::auth)
                .filter(auth -> auth.type().startsWith("oauth2-"))
                .ifPresent(auth -> io.micrometer.core.instrument.Gauge.builder("tidemark.poller.auth.needs.reauthorization",
                        () -> client.needsReauthorization(source) ? 1 : 0).tag("source", source).register(metrics)));
        config.sources().forEach((source, settings) -> settings.resources().forEach((resource, r) -> {
            if (r.list().isEmpty() || r.schedule().isEmpty() || settings.api().isEmpty()) {
                return;
            }
            SyncTarget target = SyncTarget.of(source, resource);
            timers.add(vertx.setTimer(FIRST_RUN_DELAY.toMillis(), id -> poll(target)));
            timers.add(vertx.setPeriodic(r.schedule().get().toMillis(), id -> poll(target)));
            LOG.infof("polling %s every %s", target, r.schedule().get());
        }));
        config.sources().forEach((source, settings) -> settings.resources().forEach((resource, r) -> {
            if (r.list().isEmpty() || r.reconcile().isEmpty() || settings.api().isEmpty()) {
                return;
            }
            SyncTarget target = SyncTarget.of(source, resource);
            timers.add(vertx.setPeriodic(r.reconcile().get().toMillis(), id -> sweep(target)));
            LOG.infof("sweeping %s for deletions every %s", target, r.reconcile().get());
        }));
    }

    void stop(@Observes ShutdownEvent stopping) {
        timers.forEach(vertx::cancelTimer);
    }

    /** A sweep's turn comes rarely: when a poll holds the resource, it waits a minute and tries again. */
    private void sweep(SyncTarget target) {
        sync.start(target, ResourceSync.RECONCILE, "schedule").subscribe().with(
                run -> {
                    if (run.isEmpty()) {
                        LOG.debugf("%s is busy; sweeping it in %s", target, SWEEP_RETRY);
                        timers.add(vertx.setTimer(SWEEP_RETRY.toMillis(), id -> sweep(target)));
                    }
                },
                failure -> LOG.warnf("could not start sweeping %s: %s", target, failure.toString()));
    }

    private void poll(SyncTarget target) {
        sync.start(target, ResourceSync.INCREMENTAL, "schedule").subscribe().with(
                run -> {
                    if (run.isEmpty()) {
                        LOG.debugf("%s is being polled by another run; skipping this turn", target);
                    }
                },
                failure -> LOG.warnf("could not start polling %s: %s", target, failure.toString()));
    }
}
