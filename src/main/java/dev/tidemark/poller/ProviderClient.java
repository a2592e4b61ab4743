package dev.tidemark.poller;

import dev.tidemark.metrics.Metric;
import dev.tidemark.change.Connection;
import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.connections.SharedTokens;
import dev.tidemark.config.TidemarkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.TypedGuard;
import jakarta.enterprise.util.TypeLiteral;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.http.HttpClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import io.micrometer.core.instrument.Tag;
import jakarta.inject.Inject;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Every call to a provider's API goes through here: the source's rate limit
 * and concurrency, its credentials, and what to do with each kind of failure.
 * A 429 or 503 waits as long as the provider says (Retry-After, or its quota's
 * reset) and does not count as a retry; 5xx, timeouts and connection errors
 * are retried with exponential backoff and jitter; any other 4xx fails at
 * once. A wait longer than {@code tidemark.poller.max-rate-limit-wait} cuts the
 * run short as partial.
 */
@ApplicationScoped
public class ProviderClient {

    private static final Logger LOG = Logger.getLogger(ProviderClient.class);
    /** Consecutive 429/503 answers to one call before the run stops as partial instead of waiting on. */
    static final int MAX_RATE_LIMITED_ANSWERS = 50;

    private final TidemarkConfig config;
    private final MeterRegistry metrics;
    private final HttpClient http;
    private final io.vertx.core.Vertx vertx;
    private final InstantSource clock;
    private final ConnectionStore connections;
    private final Map<Connection, SourceBudget> budgets = new ConcurrentHashMap<>();
    private final Map<Connection, OAuth2Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, ProviderOrigins> origins = new ConcurrentHashMap<>();
    private final AuthStateStore store;
    private final SharedTokens sharedTokens;

    /**
     * One source's limiter, concurrency gate and circuit breaker, shared by
     * every resource of the source. The breaker (SmallRye Fault Tolerance)
     * counts the provider's own failures — 5xx other than 503, timeouts,
     * refused connections — and, once they dominate its window, stops calling
     * the source for a while: runs fail at once with the reason, and the
     * first call after the delay tries the provider again.
     */
    private record SourceBudget(CallLimits limits, Instant asOf, RateLimiter limiter, ConcurrencyGate gate, TypedGuard<Uni<ProviderResponse>> breaker,
            AtomicReference<CircuitBreakerState> circuit) {
    }

    /** A provider failure as the breaker sees it; turned back into the answer it was right after. */
    private static final class ProviderFailure extends RuntimeException {
        final ProviderResponse response;

        ProviderFailure(ProviderResponse response) {
            super(null, null, false, false);
            this.response = response;
        }
    }

    @Inject
    public ProviderClient(TidemarkConfig config, MeterRegistry metrics, Vertx vertx, AuthStateStore store, ConnectionStore connections,
            SharedTokens sharedTokens) {
        this(config, metrics, vertx, store, connections, sharedTokens, InstantSource.system());
    }

    ProviderClient(TidemarkConfig config, MeterRegistry metrics, Vertx vertx, AuthStateStore store, ConnectionStore connections,
            SharedTokens sharedTokens, InstantSource clock) {
        this.sharedTokens = sharedTokens;
        this.connections = connections;
        this.config = config;
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
        this.vertx = vertx.getDelegate();
        // Connections per provider host: the accounts of one provider share its host, so the pool must carry a call
        // of every run the replica may have in flight (max-runs), plus refetches and token calls; eight, as before
        // connections, made a thousand accounts' runs queue for a socket behind one another.
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setMaxPoolSize(config.poller().maxRuns() + 8)
                .setConnectTimeout((int) config.poller().requestTimeout().toMillis()));
    }

    /**
     * GETs {@code uri} for a resource of {@code connection}, retrying and waiting as described above, within the
     * connection's own budget; only a 2xx returns. A URI outside the source's origins fails at once, with no call
     * made: the credentials stay home.
     */
    Uni<ProviderResponse> get(Account account, String resource, URI uri, CallStats stats) {
        Connection connection = account.connection();
        Optional<String> refused = account.origins().refusal(uri);
        if (refused.isPresent()) {
            metrics.counter(Metric.POLLER_ORIGIN_REFUSED, "source", connection.source()).increment();
            return Uni.createFrom().failure(new ProviderCallException("GET not made: " + refused.get(), false, -1));
        }
        return attempt(account, resource, uri, stats, 0, 0, false);
    }

    /** The connections (not a source's implicit one) this replica keeps a budget or an OAuth2 session for. */
    Set<Connection> kept() {
        Set<Connection> kept = new HashSet<>();
        budgets.keySet().forEach(kept::add);
        sessions.keySet().forEach(kept::add);
        kept.removeIf(Connection::isImplicit);
        return kept;
    }

    /**
     * Forgets the budgets and OAuth2 sessions of connections that no longer exist; the caller leaves out those with
     * a run under way, which looks its budget and session up on every call. A connection created again with the id
     * before a pass forgot the old one's goes on with it (its pace, any pause its provider asked for); after, it
     * starts from a new one, as a new account does.
     */
    void forget(Collection<Connection> gone) {
        for (Connection connection : gone) {
            budgets.remove(connection);
            sessions.remove(connection);
        }
        if (!gone.isEmpty()) {
            LOG.debugf("forgot the budgets and sessions of %d deleted connections", gone.size());
        }
    }

    /** True if the connection's OAuth2 grant was refused and a person must re-authorize it. */
    public boolean needsReauthorization(Connection connection) {
        OAuth2Session session = sessions.get(connection);
        return session != null && session.refused();
    }

    private Uni<ProviderResponse> attempt(Account account, String resource, URI uri, CallStats stats, int retries, int limited,
            boolean reauthenticated) {
        Connection connection = account.connection();
        String source = connection.source();
        SourceBudget budget = budget(account);
        Duration pace = budget.limiter().reserve(config.poller().maxRateLimitWait());
        if (pace.compareTo(config.poller().maxRateLimitWait()) > 0) {
            // The provider said its quota is spent until then: the run stops here, checkpoint kept, rather than hold its lease.
            return Uni.createFrom().failure(quotaSpent(uri, pace));
        }
        if (pace.toNanos() > 0) {
            stats.waitedMillis.addAndGet(pace.toMillis());
        }
        AtomicBoolean sent = new AtomicBoolean();
        Instant giveUp = clock.instant().plus(config.poller().maxRateLimitWait());
        return delay(pace)
                .chain(() -> budget.gate().run(() -> admitted(budget.limiter(), uri, stats, giveUp).chain(() -> counted(budget.limiter(),
                        sent, guarded(budget, account, resource, uri, stats, sent)))))
                .onFailure(CircuitBreakerOpenException.class).transform(open -> new ProviderCallException("GET " + uri.getRawPath()
                        + " not made: the circuit breaker of source " + connection + " is open after repeated provider failures; "
                        + "it lets a call through again after " + config.poller().circuitBreakerDelay().toSeconds() + " s", false, -1))
                .onFailure(ProviderFailure.class).recoverWithItem(failure -> ((ProviderFailure) failure).response)
                // A call that could not be made (a timeout, a refused connection) is retried like a 5xx; a
                // decision already taken (a refused OAuth2 grant, an open circuit) is not.
                .onFailure(failure -> !(failure instanceof ProviderCallException))
                .recoverWithItem(failure -> new ProviderResponse(-1, Map.of(), describe(failure)))
                .chain(response -> {
                    RateLimitHeaders quota = RateLimitHeaders.read(response::header, clock.instant(),
                            config.poller().maxProviderWait());
                    budget.limiter().observe(quota);
                    int status = response.status();
                    if (status >= 200 && status < 300) {
                        return Uni.createFrom().item(response);
                    }
                    String call = "GET " + uri.getRawPath();
                    if (status == 429 || status == 503) {
                        Duration wait = quota.retryAfter().or(quota::reset)
                                .orElseGet(() -> Backoff.of(config.poller()).delay(limited + 1, ThreadLocalRandom.current()::nextDouble));
                        if (wait.compareTo(config.poller().maxRateLimitWait()) > 0 || limited + 1 >= MAX_RATE_LIMITED_ANSWERS) {
                            budget.limiter().pause(wait);   // the next run of any resource of the connection waits too
                            return Uni.createFrom().failure(new ProviderCallException(call + " answered " + status
                                    + "; the provider asks to wait " + wait.toSeconds() + " s, longer than tidemark.poller.max-rate-limit-wait ("
                                    + config.poller().maxRateLimitWait().toSeconds() + " s) or too many times in a row", true, status));
                        }
                        budget.limiter().pause(wait);
                        stats.rateLimitWaits.incrementAndGet();
                        metrics.counter(Metric.POLLER_RATE_LIMITED, "source", source).increment();
                        LOG.infof("source=%s resource=%s %s answered %d: waiting %d ms as told", connection, resource, call, status, wait.toMillis());
                        return attempt(account, resource, uri, stats, retries, limited + 1, reauthenticated);
                    }
                    OAuth2Session session = sessions.get(connection);
                    if (status == 401 && session != null && !reauthenticated) {
                        // The token may have been revoked or expired early: one new token, one more try.
                        if (response.accessToken() != null) {
                            session.rejected(response.accessToken());
                        }
                        LOG.infof("source=%s resource=%s %s answered 401: renewing the access token and trying once more",
                                connection, resource, call);
                        return attempt(account, resource, uri, stats, retries, limited, true);
                    }
                    if (status == 401 && !connection.isImplicit() && (session == null || reauthenticated)) {
                        // The connection's own token, key or password is refused, or its OAuth2 access token is even
                        // right after a refresh: no retry cures that, a person must give it new credentials. This
                        // connection alone stops; the others go on.
                        String reason = call + " answered 401 to the connection's credentials";
                        return connections.needsReauthorization(connection, account.credentialsChangedAt(), reason)
                                .invoke(moved -> {
                                    if (moved) {
                                        LOG.errorf("connection %s needs re-authorization: %s; PATCH it with new credentials",
                                                connection, reason);
                                    }
                                })
                                .chain(() -> Uni.createFrom().failure(new ProviderCallException(call + " answered 401; connection "
                                        + connection + " needs re-authorization (new credentials)", false, status)));
                    }
                    boolean retryable = status < 0 || status >= 500 || status == 408;
                    String what = status < 0 ? "failed (" + response.body() + ")" : "answered " + status;
                    if (!retryable) {
                        return Uni.createFrom().failure(new ProviderCallException(call + " " + what + "; not retried (a client error)", false, status));
                    }
                    if (retries + 1 >= Backoff.of(config.poller()).attempts()) {
                        return Uni.createFrom().failure(new ProviderCallException(call + " " + what + " after "
                                + (retries + 1) + " attempts", false, status));
                    }
                    Duration wait = Backoff.of(config.poller()).delay(retries + 1, ThreadLocalRandom.current()::nextDouble);
                    stats.retries.incrementAndGet();
                    stats.waitedMillis.addAndGet(wait.toMillis());
                    LOG.infof("source=%s resource=%s %s %s: retry %d in %d ms", connection, resource, call, what, retries + 1, wait.toMillis());
                    return delay(wait).chain(() -> attempt(account, resource, uri, stats, retries + 1, limited, reauthenticated));
                });
    }

    /** One attempt through the source's circuit breaker: the provider's own failures count against it. */
    private Uni<ProviderResponse> guarded(SourceBudget budget, Account account, String resource, URI uri, CallStats stats,
            AtomicBoolean sent) {
        // Deferred: a breaker that refuses synchronously still ends as a failed Uni, so the gate is left.
        return Uni.createFrom().deferred(() -> budget.breaker().get(() -> send(account, resource, uri, stats, sent).chain(response -> {
            int status = response.status();
            return status >= 500 && status != 503
                    ? Uni.createFrom().failure(new ProviderFailure(response))
                    : Uni.createFrom().item(response);
        })));
    }

    /** The connection's rate limiter in this replica, or empty before its first call. */
    public Optional<RateLimiter.State> rateLimit(Connection connection) {
        SourceBudget budget = budgets.get(connection);
        return budget == null ? Optional.empty() : Optional.of(budget.limiter().state());
    }

    /** The connection's circuit breaker in this replica: closed, open (no calls are made) or half-open (one trial call). */
    public String circuit(Connection connection) {
        SourceBudget budget = budgets.get(connection);
        CircuitBreakerState state = budget == null ? CircuitBreakerState.CLOSED : budget.circuit().get();
        return state.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private Uni<ProviderResponse> send(Account account, String resource, URI uri, CallStats stats, AtomicBoolean sent) {
        Connection connection = account.connection();
        Optional<TidemarkConfig.Auth> auth = account.auth();
        RequestOptions options = options(uri);
        if (auth.isEmpty()) {
            return send(connection, resource, options, stats, sent);
        }
        ProviderAuth kind = ProviderAuth.of(auth.get());
        if (kind.oauth2()) {
            return session(account).token().chain(token -> {
                options.putHeader("Authorization", "Bearer " + token);
                return send(connection, resource, options, stats, sent).map(response -> response.withAccessToken(token));
            });
        }
        options.setAbsoluteURI(kind.authorize(auth.get(), options, uri).toString());
        return send(connection, resource, options, stats, sent);
    }

    private RequestOptions options(URI uri) {
        return new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(uri.toString())
                .setIdleTimeout(config.poller().requestTimeout().toMillis())
                // Waiting for a connection of the pool counts against the deadline too, not only the exchange.
                .setConnectTimeout(config.poller().requestDeadline().toMillis())
                .putHeader("Accept", "application/json")
                // Some providers refuse a request that does not say what sends it (GitHub answers 403).
                .putHeader("User-Agent", USER_AGENT);
    }

    /** What Tidemark's calls to a provider say they are. */
    static final String USER_AGENT = "Tidemark (webhook ingestion and reconciliation)";

    private Uni<ProviderResponse> send(Connection connection, String resource, RequestOptions options, CallStats stats, AtomicBoolean sent) {
        String source = connection.source();
        SourceBudget budget = budgets.get(connection);
        if (budget != null) {
            budget.limiter().sending();
        }
        stats.calls.incrementAndGet();
        long started = System.nanoTime();
        // Sent once a connection carries the request: a refused connection or a pool wait that timed out reached no one.
        return BoundedExchange.send(vertx, http.getDelegate(), options, null, config.poller().requestDeadline(),
                        config.poller().maxResponseSize().asLongValue(), () -> sent.set(true))
                .invoke(response -> record(source, resource, started, Integer.toString(response.status())))
                .onFailure().invoke(failure -> record(source, resource, started, "error"));
    }

    private void record(String source, String resource, long started, String status) {
        Timer.builder(Metric.POLLER_API_CALLS).tag("source", source).tag("resource", resource).tag("status", status)
                .register(metrics).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }

    /** The connection's OAuth2 session; its stored state is the source's until connections keep their own. */
    /**
     * The connection's OAuth2 session in this replica: a source's implicit connection keeps its grant in
     * {@code source_auth}, another in its own sealed row. New credentials from the API make a new session.
     */
    private OAuth2Session session(Account account) {
        Connection connection = account.connection();
        TidemarkConfig.Auth auth = account.auth().orElseThrow();
        return sessions.compute(connection, (key, current) -> current != null && current.seed().equals(account.grantSeed()) ? current
                : connection.isImplicit()
                        ? new OAuth2Session(key.source(), auth, vertx, http.getDelegate(), store, clock, config.poller())
                        : new OAuth2Session(key.toString(), auth, account.grantSeed(), vertx, http.getDelegate(),
                                new ConnectionGrants(connections, key, account.credentialsChangedAt(), sharedTokens, account.grantSeed()), clock,
                                config.poller()));
    }

    /**
     * The connection's own budget: providers limit per account, so one account's 429s must not slow another's. Its
     * limits are the account's (the source's rate-limit, or the connection's own). When a newer account brings other
     * limits, the limiter and the gate are made anew, the limiter still waiting as long as the old one was told to,
     * and the circuit breaker is kept; an account resolved before the change (a long run's) keeps the newer budget,
     * so two runs of the connection never flip it back and forth. Calls in flight under the old gate end there.
     */
    private SourceBudget budget(Account account) {
        CallLimits limits = account.limits();
        return budgets.compute(account.connection(), (key, current) -> {
            if (current != null && (current.limits().equals(limits) || !account.limitsAsOf().isAfter(current.asOf()))) {
                return current;
            }
            if (current != null) {
                RateLimiter limiter = new RateLimiter(limits.requestsPerSecond(), limits.burst(), clock);
                Instant paused = current.limiter().state().pausedUntil();
                if (paused != null) {
                    limiter.pause(Duration.between(clock.instant(), paused));
                }
                return new SourceBudget(limits, account.limitsAsOf(), limiter, new ConcurrencyGate(limits.maxConcurrency()),
                        current.breaker(), current.circuit());
            }
            String name = key.source();
            var circuit = new AtomicReference<>(CircuitBreakerState.CLOSED);
            TypedGuard<Uni<ProviderResponse>> breaker = TypedGuard.create(new TypeLiteral<Uni<ProviderResponse>>() { })
                    // No name: SmallRye keeps every named breaker for good and refuses a second of one name, which a
                    // connection created again after its budget was forgotten would make.
                    .withCircuitBreaker()
                    .requestVolumeThreshold(config.poller().circuitBreakerVolume())
                    .failureRatio(config.poller().circuitBreakerRatio())
                    .delay(config.poller().circuitBreakerDelay().toMillis(), ChronoUnit.MILLIS)
                    .successThreshold(1)
                    .onStateChange(state -> {
                        circuit.set(state);
                        LOG.warnf("source=%s: circuit breaker %s", key, state.name().toLowerCase(Locale.ROOT).replace('_', '-'));
                    })
                    .done()
                    .build();
            // One gauge per source (a label per connection would not fit thousands): how many of its connections'
            // breakers are open in this replica; 0 or 1 for a source of one account, as before connections.
            metrics.gauge(Metric.POLLER_CIRCUIT_OPEN, List.of(Tag.of("source", name)), budgets,
                    all -> all.entrySet().stream().filter(e -> e.getKey().source().equals(name))
                            .filter(e -> e.getValue().circuit().get() == CircuitBreakerState.OPEN).count());
            return new SourceBudget(limits, account.limitsAsOf(), new RateLimiter(limits.requestsPerSecond(), limits.burst(), clock),
                    new ConcurrencyGate(limits.maxConcurrency()), breaker, circuit);
        });
    }

    /**
     * What went wrong with a call that got no answer, in words safe to log and to store in a run's error:
     * never the exception's own message, which names the URL and so any API key or signature in its query.
     */
    static String describe(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (failure instanceof BoundedExchange.DeadlineException || cause instanceof BoundedExchange.DeadlineException) {
            return "not answered in full within tidemark.poller.request-deadline";
        }
        if (failure instanceof TimeoutException || cause instanceof TimeoutException
                || failure.getClass().getSimpleName().contains("Timeout")) {
            return "timed out (no byte for tidemark.poller.request-timeout, or no connection within tidemark.poller.request-deadline)";
        }
        if (cause instanceof ConnectException) {
            return "connection refused";
        }
        if (cause instanceof UnknownHostException) {
            return "unknown host";
        }
        return failure.getClass().getSimpleName();
    }

    /**
     * Waits until the limiter's window gate admits the call (see {@link RateLimiter#admit()}), at the latest until
     * {@code giveUp} (max-rate-limit-wait from the call's start): past it the run ends partial rather than wait on. A
     * pause learnt while the call waited for its slot (a 429 to another run of the connection) is waited out and then
     * a fresh slot taken: calls that waited together must not all go the moment the pause ends. Deferred: the gate
     * counts the call in flight when it is subscribed to, not when it is put together.
     */
    private Uni<Void> admitted(RateLimiter limiter, URI uri, CallStats stats, Instant giveUp) {
        return Uni.createFrom().deferred(() -> {
            Duration wait;
            if (limiter.state().pausedUntil() != null) {
                // Only a slot within what is left of the call's wait is taken: a slot booked by a call that then
                // gives up would push every later call of the connection back by one spacing (review).
                Duration left = Duration.between(clock.instant(), giveUp);
                wait = limiter.reserve(left.isNegative() ? Duration.ZERO : left);
            } else {
                wait = limiter.admit();
                if (wait.isZero()) {
                    return Uni.createFrom().voidItem();
                }
            }
            if (clock.instant().plus(wait).isAfter(giveUp)) {
                return Uni.createFrom().failure(quotaSpent(uri, wait));
            }
            stats.waitedMillis.addAndGet(wait.toMillis());
            return delay(wait).chain(() -> admitted(limiter, uri, stats, giveUp));
        });
    }

    /** A call not made because it would wait past max-rate-limit-wait from its start: the run ends partial. */
    private ProviderCallException quotaSpent(URI uri, Duration wait) {
        return new ProviderCallException("GET " + uri.getRawPath() + " not made: the source's quota is spent for another "
                + wait.toSeconds() + " s, past tidemark.poller.max-rate-limit-wait (" + config.poller().maxRateLimitWait().toSeconds()
                + " s) from the call's start", true, -1);
    }

    /**
     * The admitted call's end, told to the limiter once: when its answer's head arrived, or now if none did; or, for
     * a call never sent (no token, an open circuit), that the provider counted nothing.
     */
    private Uni<ProviderResponse> counted(RateLimiter limiter, AtomicBoolean sent, Uni<ProviderResponse> call) {
        return call.onTermination().invoke((response, failure, cancelled) -> {
            if (!sent.get()) {
                limiter.released();
                return;
            }
            ProviderResponse answer = response != null ? response
                    : failure instanceof ProviderFailure provider ? provider.response : null;
            long since = answer == null ? 0 : Math.max(0, System.nanoTime() - answer.answeredNanos());
            limiter.answered(clock.instant().minusNanos(since));
        });
    }

    /** Waits {@code wait}, rounded up to the millisecond: Mutiny's timers count whole ones, and a wait of 0.4 ms would end at once, early. */
    private static Uni<Void> delay(Duration wait) {
        if (wait.toNanos() <= 0) {
            return Uni.createFrom().voidItem();
        }
        long millis = (wait.toNanos() + 999_999) / 1_000_000;
        return Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofMillis(millis));
    }
}
