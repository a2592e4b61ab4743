package dev.tidemark.providers;

import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.poller.SyncTarget;
import io.vertx.mutiny.sqlclient.Pool;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;

/** What the template polling tests share: a quiet start, and a run that waits its turn. */
final class TemplateRuns {

    private TemplateRuns() {
    }

    /**
     * Waits until the template's first scheduled run of each of the source's {@code resources} has ended (due 2 s after
     * the resource is first registered; the next is a day away in the test profile), then forgets the source's
     * checkpoints, so that a test's walks start from scratch, not from where another test's stopped.
     */
    static void settle(Pool pool, String source, int resources) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> pool.query(
                "SELECT count(DISTINCT resource) FILTER (WHERE status <> 'running') AS done, count(*) FILTER (WHERE status = 'running') AS running "
                        + "FROM sync_runs WHERE source = '" + source + "' AND trigger = 'schedule'").execute()
                .map(rows -> rows.iterator().next()).map(row -> row.getLong("done") == resources && row.getLong("running") == 0)
                .await().atMost(Duration.ofSeconds(10)));
        pool.query("DELETE FROM poll_checkpoints WHERE source = '" + source + "'").execute().await().atMost(Duration.ofSeconds(10));
    }

    /** A run of the resource as the sync API starts one, tried again while another run holds it. */
    static SyncRun run(ResourceSync sync, String source, String resource, SyncMode mode, Duration atMost) {
        AtomicReference<SyncRun> run = new AtomicReference<>();
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> {
            Optional<SyncRun> done = sync.run(SyncTarget.of(source, resource), mode, "api").await().atMost(atMost);
            done.ifPresent(run::set);
            return done.isPresent();
        });
        return run.get();
    }
}
