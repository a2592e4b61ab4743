package dev.tidemark.poller;

import dev.tidemark.change.Origin;
import dev.tidemark.change.Timestamps;
import dev.tidemark.config.TidemarkConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * An incremental or full walk: from where the checkpoint says, each page's
 * changed records published, and only once Kafka acknowledged them the
 * checkpoint saved (with the lease renewed in the same statement), until
 * the last page.
 */
@ApplicationScoped
class Poll {

    private static final Logger LOG = Logger.getLogger(Poll.class);

    private final TidemarkConfig config;
    private final CheckpointStore checkpoints;
    private final PageWalker walker;
    private final ChangeDetector detector;
    private final RecordPublisher publisher;
    private final InstantSource clock = InstantSource.system();

    Poll(TidemarkConfig config, CheckpointStore checkpoints, PageWalker walker, ChangeDetector detector, RecordPublisher publisher) {
        this.config = config;
        this.checkpoints = checkpoints;
        this.walker = walker;
        this.detector = detector;
        this.publisher = publisher;
    }

    /**
     * Whether the provider refused a request outright (a 4xx other than authentication, a timeout or its quota): on a
     * walk that follows the provider's tokens, the token it was asked with is dead.
     */
    static boolean refusedToken(Throwable failure) {
        return failure instanceof ProviderCallException call && call.status() >= 400 && !call.mayPass();
    }

    /** A position whose token was refused: kept where the last item's time lets the next run go on without it. */
    private static Position withoutDeadToken(Position at) {
        return at.updatedAt() == null ? at.withToken(null) : at;
    }

    Uni<RunOutcome> run(Walk walk, SyncMode mode, RunContext run) {
        return checkpoints.checkpoint(walk.target()).chain(checkpoint -> run(walk, mode, run, checkpoint));
    }

    /** The same, from the walk's {@code checkpoint} as just read. */
    Uni<RunOutcome> run(Walk walk, SyncMode mode, RunContext run, Optional<Checkpoint> checkpoint) {
        SyncMode walkMode = ResumePolicy.walkMode(checkpoint, mode);
        Position from = ResumePolicy.startPosition(checkpoint, mode, walk);
        LOG.infof("sync %s run=%s mode=%s starts at %s", walk.target(), run.id(), walkMode, PageWalker.describe(from));
        Instant read = Timestamps.micros(clock.instant());
        PageSink sink = (items, next) -> detector.changed(walk, walk.records(items), read)
                .chain(changed -> publisher.upserts(walk.target(), run.id(), changed, Origin.POLL)
                        .chain(() -> checkpoints.saveHeld(walk.target(), walkMode, run.id(), next, run.owner(), config.poller().leaseTtl()))
                        .chain(held -> held ? Uni.createFrom().item(changed.size()) : LostLeaseException.<Integer>fail()));
        return walker.walkFrom(walk, run, from, sink)
                .chain(last -> checkpoints.save(walk.target(), walkMode, RunStatus.COMPLETED, run.id(), last.withToken(null), walk.parentUpdatedAt()))
                .replaceWith(RunOutcome.COMPLETED)
                .onFailure().recoverWithUni(failure -> {
                    RunStatus status = RunOutcome.status(failure);
                    boolean refused = refusedToken(failure);
                    // The checkpoint already holds the last page Kafka acknowledged; only its status changes. A next-page
                    // token the provider refused (a cursor expired, Stripe's starting_after naming an object deleted
                    // since) must not be tried again: the failure is recorded even when this run saved no page (it
                    // failed on the token it resumed at), so the next run continues from the last item's time instead
                    // (ResumePolicy), and where there is none, the token is dropped and the walk starts over.
                    return checkpoints.checkpoint(walk.target())
                            .chain(saved -> {
                                Optional<Checkpoint> own = saved.filter(c -> c.runId().equals(run.id()));
                                if (own.isPresent()) {
                                    return checkpoints.save(walk.target(), own.get().mode(), status, run.id(),
                                            refused ? withoutDeadToken(own.get().position()) : own.get().position());
                                }
                                if (refused && from.token() != null) {
                                    return checkpoints.save(walk.target(), walkMode, RunStatus.FAILED, run.id(), withoutDeadToken(from));
                                }
                                return Uni.createFrom().voidItem();
                            })
                            .onFailure().recoverWithNull()
                            .invoke(() -> LOG.warnf("sync %s run=%s %s: %s", walk.target(), run.id(), status, failure.getMessage()))
                            .replaceWith(RunOutcome.of(failure));
                });
    }
}
