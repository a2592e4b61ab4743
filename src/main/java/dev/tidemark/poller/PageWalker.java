package dev.tidemark.poller;

import dev.tidemark.metrics.Metric;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.config.TidemarkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * The stage of a run that fetches pages: it calls the provider page after
 * page and hands each page, in order, to the run's {@link PageSink}, which
 * puts it downstream and checkpoints it. What the walk may not do (loop on a
 * token, stall, outrun its bounds) ends it here.
 */
@ApplicationScoped
class PageWalker {

    private static final Logger LOG = Logger.getLogger(PageWalker.class);

    /** Rewinds in a row (the list changed under the walk at the same place) before the run gives up. */
    static final int MAX_REWINDS = 5;

    private final TidemarkConfig config;
    private final ProviderClient client;
    private final RunStore runs;
    private final ObjectMapper json;
    private final MeterRegistry metrics;

    PageWalker(TidemarkConfig config, ProviderClient client, RunStore runs, ObjectMapper json, MeterRegistry metrics) {
        this.config = config;
        this.client = client;
        this.runs = runs;
        this.json = json;
        this.metrics = metrics;
    }

    /** The walk from {@code position} to its last page; what it yields is the position after that page. */
    Uni<Position> walkFrom(Walk walk, RunContext run, Position position, PageSink sink) {
        return Uni.createFrom().emitter(done -> new Walker(walk, run.id(), run.stats(), position, sink, done).pump());
    }

    /**
     * One walk as two loops that meet in a short queue: the fetch loop calls
     * the provider page after page (each request follows from the page
     * before) while at most {@code tidemark.poller.prefetch-pages} pages are
     * read and not yet checkpointed besides the one going downstream; the sink loop
     * takes them in order and puts each downstream (records on Kafka, then
     * the checkpoint). Nothing holds on to a page once it is downstream. A
     * failure on either side stops both; the walk fails once the page going
     * downstream, if any, is done; pages fetched before a failed call still go
     * downstream first, so the checkpoint keeps everything that was read.
     */
    private final class Walker {
        private final Walk walk;
        private final UUID runId;
        private final CallStats stats;
        private final PageSink sink;
        private final UniEmitter<? super Position> done;
        private final ArrayDeque<Ready> ready = new ArrayDeque<>();
        private Position fetchFrom;
        /** The next-page tokens (cursors, next URLs) this walk has asked for: one handed out again is a loop. */
        private final RunBounds.Tokens tokens = new RunBounds.Tokens();
        private Position sunk;
        /** Pages in a row that took the walk no further than it had been (rewinds, repeats). */
        private int stalls;
        private Position furthest;
        private boolean fetching;
        private boolean sinking;
        private boolean fetchedLast;
        private Throwable failure;
        private Throwable fetchFailure;
        private boolean finished;

        private record Ready(PageResult result, long millis) {
        }

        Walker(Walk walk, UUID runId, CallStats stats, Position from, PageSink sink,
                UniEmitter<? super Position> done) {
            this.walk = walk;
            this.runId = runId;
            this.stats = stats;
            this.sink = sink;
            this.done = done;
            this.fetchFrom = from;
            this.sunk = from;
            this.furthest = from;
        }

        void pump() {
            Position fetchNow = null;
            Ready sinkNow = null;
            boolean finishNow = false;
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (failure != null) {
                    if (sinking) {
                        return;   // the page going downstream finishes first, so its checkpoint is not left half-told
                    }
                    finished = true;
                    finishNow = true;
                } else {
                    // Pages read and not yet checkpointed: those a crash would fetch again. One at a time when
                    // prefetch-pages is 0; with n, the call for the next page overlaps the one going downstream.
                    int unsaved = ready.size() + (sinking ? 1 : 0);
                    if (!fetching && !fetchedLast && fetchFailure == null && unsaved <= config.poller().prefetchPages()) {
                        // The run's own bounds, checked before each call: pages already read still go downstream.
                        Optional<String> bound = walk.bounds().exceeded(stats, unsaved);
                        if (bound.isPresent()) {
                            fetchFailure = new ProviderCallException(bound.get(), true, -1);
                        } else if (fetchFrom.token() != null && !tokens.first(fetchFrom.token())) {
                            fetchFailure = new IllegalStateException("the provider handed out a next-page token it had "
                                    + "already given in this walk (after " + (stats.pages() + unsaved) + " pages): it would loop "
                                    + "for ever; the run stops, and the next one starts from the last checkpoint");
                        } else {
                            fetching = true;
                            fetchNow = fetchFrom;
                        }
                    }
                    if (!sinking && !ready.isEmpty()) {
                        sinking = true;
                        sinkNow = ready.poll();
                    }
                    boolean fetchOver = fetchedLast || fetchFailure != null;
                    if (fetchNow == null && sinkNow == null && !fetching && !sinking && fetchOver && ready.isEmpty()) {
                        failure = fetchFailure;
                        finished = true;
                        finishNow = true;
                    }
                }
            }
            if (finishNow) {
                if (failure != null) {
                    done.fail(failure);
                } else {
                    done.complete(sunk);
                }
                return;
            }
            if (fetchNow != null) {
                fetch(fetchNow);
            }
            if (sinkNow != null) {
                sink(sinkNow);
            }
        }

        private void fetch(Position position) {
            URI uri;
            try {
                uri = walk.pagination().request(position).resolve(walk.baseUrl());
            } catch (RuntimeException e) {
                // A next URL the provider handed out that is not a URI: the walk cannot go on. Not its text: it may be signed.
                synchronized (this) {
                    fetching = false;
                    fetchFailure = new IllegalStateException("the provider's next page is not a valid URL (" + e.getClass().getSimpleName() + ")");
                }
                pump();
                return;
            }
            PageWalker.this.fetch(walk, uri, position, stats, 1).subscribe().with(fetched -> {
                PageResult result = fetched.result();
                synchronized (this) {
                    fetching = false;
                    if (!result.last() && !beyond(result.next(), furthest)) {
                        // A rewind, or a page that brought nothing new: the list is not where the walk left it.
                        // Once in a while that is data changing; always, it is a list that ignores the filter,
                        // the sort or the page token, and the walk would go round for ever.
                        stalls++;
                        if (stalls > MAX_REWINDS) {
                            fetchFailure = new IllegalStateException("the walk made no progress " + MAX_REWINDS
                                    + " pages in a row at " + describe(position)
                                    + ": is the list sorted by updated_at ascending, and does it honour the updated-since filter "
                                    + "and the page token?");
                        } else if (result.rewound()) {
                            LOG.infof("sync %s run=%s: the list changed under the walk at %s; going back to the first item at that time",
                                    walk.target(), runId, describe(position));
                        }
                    } else {
                        stalls = 0;
                    }
                    if (beyond(result.next(), furthest)) {
                        furthest = result.next();
                    }
                    ready.add(new Ready(result, fetched.millis()));
                    fetchFrom = result.next();
                    fetchedLast = result.last();
                }
                pump();
            }, failed -> {
                synchronized (this) {
                    fetching = false;
                    fetchFailure = failed;
                }
                pump();
            });
        }

        private void sink(Ready page) {
            PageResult result = page.result();
            Uni.createFrom().deferred(() -> sink.accept(result.take(), result.next())).chain(downstream -> {
                stats.pages.incrementAndGet();
                stats.records.addAndGet(downstream);
                metrics.counter(Metric.POLLER_RECORDS, "source", walk.target().source(), "resource", walk.target().resource())
                        .increment(downstream);
                return stats.progressDue() ? runs.progress(runId, stats) : Uni.createFrom().voidItem();
            }).subscribe().with(ok -> {
                LOG.infof("sync %s run=%s page=%d records=%d api=%d ms retries=%d checkpoint=%s", walk.target(), runId,
                        stats.pages(), result.take().size(), page.millis(), stats.retries(), describe(result.next()));
                synchronized (this) {
                    sinking = false;
                    sunk = result.next();
                }
                pump();
            }, failed -> {
                synchronized (this) {
                    sinking = false;
                    failure = failure == null ? failed : failure;
                }
                pump();
            });
        }
    }

    /** True if {@code next} is further along than {@code mark}: a later updated_at, more taken at the same one, or a new token. */
    static boolean beyond(Position next, Position mark) {
        if (next.token() != null && !next.token().equals(mark.token())) {
            return true;
        }
        if (next.updatedAt() != null && (mark.updatedAt() == null || next.updatedAt().isAfter(mark.updatedAt()))) {
            return true;
        }
        if (next.updatedAt() != null && next.updatedAt().equals(mark.updatedAt()) && next.seen() > mark.seen()) {
            return true;
        }
        return false;
    }

    /** A page as read and what it yields at its position, and how long the provider took to answer it (retries and waits included). */
    private record Fetched(PageResult result, long millis) {
    }

    /**
     * The page at {@code uri}, parsed and read by the walk's pagination; a body that is not the configured shape
     * (its items, or what its pagination needs from it) is fetched again, like a 5xx.
     */
    private Uni<Fetched> fetch(Walk walk, URI uri, Position position, CallStats stats, int attempt) {
        long started = System.nanoTime();
        return client.get(walk.account(), walk.target().resource(), uri, stats).chain(response -> {
            try {
                JsonNode body = json.readTree(response.body());
                if (body == null) {
                    throw new MalformedPageException("the body is empty");
                }
                ListPage page = new ListPage(walk.reader().read(body), body, response.headers());
                return Uni.createFrom().item(new Fetched(walk.pagination().read(position, page), (System.nanoTime() - started) / 1_000_000));
            } catch (JsonProcessingException | MalformedPageException e) {
                String reason = e instanceof MalformedPageException ? e.getMessage() : "the body is not JSON";
                if (attempt >= Backoff.of(config.poller()).attempts()) {
                    return Uni.createFrom().failure(new MalformedPageException("GET " + uri.getRawPath() + ": " + reason
                            + " (" + attempt + " attempts)"));
                }
                stats.retries.incrementAndGet();
                Duration wait = Backoff.of(config.poller()).delay(attempt, ThreadLocalRandom.current()::nextDouble);
                LOG.infof("sync %s: GET %s gave a malformed page (%s): retry %d in %d ms", walk.target(), uri.getRawPath(),
                        reason, attempt, wait.toMillis());
                // Full jitter can draw no wait at all, which Mutiny's delay refuses.
                Uni<Void> pause = wait.toMillis() > 0 ? Uni.createFrom().voidItem().onItem().delayIt().by(wait) : Uni.createFrom().voidItem();
                return pause.chain(() -> fetch(walk, uri, position, stats, attempt + 1));
            }
        });
    }

    static String describe(Position position) {
        if (position.updatedAt() == null && position.token() == null) {
            return "the start";
        }
        StringBuilder text = new StringBuilder();
        if (position.updatedAt() != null) {
            text.append("(").append(position.updatedAt()).append(", ").append(position.id()).append(", ")
                    .append(position.seen()).append(" at that time)");
        }
        if (position.token() != null) {
            // A next URL can carry a signature or an API key in its query: log only that there is one.
            text.append(text.isEmpty() ? "" : " ").append("with a next-page token");
        }
        return text.toString();
    }
}
