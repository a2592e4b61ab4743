package dev.tidemark.poller;

import dev.tidemark.config.PollerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.SharedTokens;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.HttpClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One connection's OAuth2 access token (client credentials, or a refresh token):
 * fetched when first needed, renewed before it expires (at a random point
 * {@code token-refresh-ahead-min} to {@code -max} before, so a thousand
 * connections do not renew in the same second; a short-lived token at 75–90 %
 * of its lifetime), one renewal at a time — callers in this replica that
 * need a token while one is under way wait for it, and across replicas the
 * renewal holds the grant's lock: a replica that waited for it takes the
 * token the other got (shared sealed, {@link GrantStore#sharedToken()})
 * instead of renewing again. A refresh
 * token the provider rotates is persisted before the access token that came
 * with it is used (the save retried; while it fails, no call is made), so a
 * restart or another replica uses the latest. Each rotation has a version one
 * above the token it replaced; a stored token is taken only when it is newer
 * than the one held, so a save that failed never has the old token read back
 * over the new one. When the provider refuses the grant
 * ({@code invalid_grant}), the store is read again for a while first (another
 * replica may have rotated the token a moment ago and still be saving it);
 * only then does the connection need a person to re-authorize it: no call is
 * retried until its refresh token changes (configuration, or the API). Tokens and secrets are
 * never logged.
 */
final class OAuth2Session {

    private static final Logger LOG = Logger.getLogger(OAuth2Session.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Saves of a rotated refresh token before the call fails (it is tried again before the next one)... */
    static final int SAVE_ATTEMPTS = 5;
    /** ...the first retry after this, doubling. */
    static final Duration SAVE_BACKOFF = Duration.ofMillis(200);
    /** Reads of the store after invalid_grant, waiting for another replica's rotation to be saved, before giving up. */
    static final int REFUSAL_LOOKS = 3;
    /** How long a renewal's claim holds unless extended (every third of it) by the replica renewing. */
    static final Duration RENEWAL_CLAIM = Duration.ofSeconds(15);

    private final String source;
    private final TidemarkConfig.Auth auth;
    /** The refresh-token grant (rotating tokens, stored state), rather than client credentials. */
    private final boolean refreshGrant;
    /** The client authenticates at the token endpoint in the form body, rather than with HTTP Basic. */
    private final boolean secretInBody;
    private final Vertx vertx;
    private final HttpClient http;
    private final GrantStore store;
    /** What the grant was set up from: a new one (new credentials) makes a new session. */
    private final String seed;
    private final InstantSource clock;
    private final PollerConfig limits;

    private String accessToken;
    private Instant renewAt = Instant.MIN;
    private Instant expiresAt = Instant.MIN;
    private String refreshToken;
    /** Rotations after the configured refresh token: the version of {@code refreshToken}. */
    private long refreshVersion;
    /** A rotated refresh token not yet saved: its access token is not used until it is. */
    private boolean unsaved;
    private boolean loaded;
    private String refused;
    private Uni<String> renewal;
    /** The access token the provider last answered 401 to: never taken from another replica again. */
    private String rejectedToken;
    /**
     * The provider answered 401 (when, by the database's clock, once read): the next token comes from the token
     * endpoint or is one another replica obtained after that, never one obtained before (the provider may have
     * revoked it with the refused one), so that a refused grant, not a revoked access token, is what moves a
     * connection to needs-reauthorization.
     */
    private boolean mustRenew;
    private Instant refusedAt;
    private volatile boolean retriedAfterRotation;

    /** The session of a source's implicit connection, its state in {@code source_auth}. */
    OAuth2Session(String source, TidemarkConfig.Auth auth, Vertx vertx, HttpClient http, AuthStateStore store,
            InstantSource clock, PollerConfig limits) {
        this(source, auth, seed(auth), vertx, http, store.grants(source, seed(auth)), clock, limits);
    }

    /**
     * @param name  what logs and errors call it (the connection)
     * @param seed  what the grant was set up from; {@link #seed()} tells it, so a caller can see new credentials
     * @param store where the grant's rotations and refusal are kept
     */
    OAuth2Session(String name, TidemarkConfig.Auth auth, String seed, Vertx vertx, HttpClient http, GrantStore store,
            InstantSource clock, PollerConfig limits) {
        this.source = name;
        this.seed = seed;
        this.auth = auth;
        this.refreshGrant = ProviderAuth.of(auth) == ProviderAuth.OAUTH2_REFRESH_TOKEN;
        this.secretInBody = ConfigKind.of(ProviderAuth.ClientAuthentication.class, auth.clientAuthentication())
                == ProviderAuth.ClientAuthentication.BODY;
        this.vertx = vertx;
        this.http = http;
        this.store = store;
        this.clock = clock;
        this.limits = limits;
    }

    /** A valid access token, renewed first if it is due. */
    synchronized Uni<String> token() {
        if (refused != null) {
            return Uni.createFrom().failure(needsReauthorization());
        }
        if (accessToken != null && clock.instant().isBefore(renewAt) && !unsaved) {
            return Uni.createFrom().item(accessToken);
        }
        if (renewal == null) {
            renewal = load().chain(this::saveRotated).chain(() -> {
                synchronized (this) {
                    if (accessToken != null && clock.instant().isBefore(renewAt)) {
                        return Uni.createFrom().item(accessToken);   // the rotation is saved now: its access token may go
                    }
                }
                // One renewal of the grant at a time across replicas; one that waited takes what the other got.
                // Held a short while and extended while the renewal goes on, so a replica that dies renewing blocks the
                // others for seconds, not for the token call's whole deadline; waited for as long as a renewal may take.
                return store.exclusively(RENEWAL_CLAIM, limits.requestDeadline().plusSeconds(30), () -> adoptShared().chain(adopted -> adopted.isPresent()
                        ? Uni.createFrom().item(adopted.get())
                        : latestRefreshToken().chain(this::renew)));
            })
                    .onTermination().invoke(() -> {
                        synchronized (this) {
                            renewal = null;
                        }
                    })
                    .memoize().indefinitely();
        }
        return renewal;
    }

    /** The provider answered 401 to {@code token}: the next {@link #token()} fetches a new one. */
    synchronized void rejected(String token) {
        rejectedToken = token;
        mustRenew = true;
        refusedAt = null;
        if (token.equals(accessToken)) {
            accessToken = null;
        }
    }

    /**
     * The access token another replica got for this grant while this one waited for the lock, if it is not due
     * for renewal and not one the provider refused here; taken as this replica's own.
     */
    private Uni<java.util.Optional<String>> adoptShared() {
        return Uni.createFrom().deferred(() -> {
            synchronized (this) {
                if (mustRenew && refusedAt == null) {
                    // When the refusal was, by the clock the shared tokens are stamped with.
                    return store.now().invoke(now -> {
                        synchronized (this) {
                            refusedAt = now;
                        }
                    }).replaceWithVoid();
                }
            }
            return Uni.createFrom().voidItem();
        }).chain(store::sharedToken).map(shared -> {
            synchronized (this) {
                boolean beforeRefusal = mustRenew && (refusedAt == null || shared.isEmpty()
                        || !shared.get().obtainedAt().isAfter(refusedAt));
                if (shared.isEmpty() || !clock.instant().isBefore(shared.get().renewAt()) || beforeRefusal
                        || shared.get().accessToken().equals(rejectedToken) || unsaved) {
                    return java.util.Optional.<String>empty();
                }
                accessToken = shared.get().accessToken();
                renewAt = shared.get().renewAt();
                mustRenew = false;
                refusedAt = null;
                return java.util.Optional.of(accessToken);
            }
        }).onFailure().recoverWithItem(failure -> {
            LOG.debugf("source=%s: the shared access token not read (%s); renewing", source, failure.getClass().getSimpleName());
            return java.util.Optional.empty();
        });
    }

    synchronized boolean refused() {
        return refused != null;
    }

    private Uni<Void> load() {
        synchronized (this) {
            if (loaded) {
                return Uni.createFrom().voidItem();
            }
        }
        return store.load().invoke(state -> {
            synchronized (this) {
                loaded = true;
                refreshToken = state.refreshToken().orElse(auth.refreshToken().orElse(null));
                refreshVersion = state.refreshToken().isPresent() ? state.version() : 0;
                refused = state.refused().orElse(null);
            }
        }).replaceWithVoid();
    }

    /**
     * Another replica may have rotated the refresh token since this one read
     * it (the old one is then refused): take the stored one before each grant,
     * if it is newer than the one held.
     */
    private Uni<Void> latestRefreshToken() {
        if (!refreshGrant) {
            return Uni.createFrom().voidItem();
        }
        return store.load().invoke(state -> state.refreshToken().ifPresent(stored -> {
            synchronized (this) {
                if (state.version() > refreshVersion) {
                    refreshToken = stored;
                    refreshVersion = state.version();
                }
            }
        })).replaceWithVoid();
    }

    /**
     * Saves a rotated refresh token the provider handed out, retried with back-off: the provider has already
     * forgotten the one it replaced, so this token is the grant. Until it is saved, the access token that came
     * with it is not used; a save that fails for good fails the call, and the next call tries it again first.
     */
    private Uni<Void> saveRotated() {
        String token;
        long version;
        synchronized (this) {
            if (!unsaved) {
                return Uni.createFrom().voidItem();
            }
            token = refreshToken;
            version = refreshVersion;
        }
        return store.saveRefreshToken(token, version)
                .onFailure().invoke(failure -> LOG.warnf("source=%s: the rotated refresh token is not saved yet (%s); trying again",
                        source, failure.getClass().getSimpleName()))
                .onFailure().retry().withBackOff(SAVE_BACKOFF, SAVE_BACKOFF.multipliedBy(20)).atMost(SAVE_ATTEMPTS - 1)
                .invoke(() -> {
                    synchronized (this) {
                        if (refreshVersion == version) {
                            unsaved = false;
                        }
                    }
                })
                .onFailure().transform(failure -> new IllegalStateException("source " + source
                        + ": the provider rotated the refresh token and it could not be saved (" + failure.getClass().getSimpleName()
                        + "); it is kept in memory and saved before the next call"));
    }

    private Uni<String> renew() {
        synchronized (this) {
            if (refused != null) {
                return Uni.createFrom().failure(needsReauthorization());
            }
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", refreshGrant ? "refresh_token" : "client_credentials");
        if (refreshGrant) {
            form.put("refresh_token", refreshToken);
        }
        auth.scopes().filter(s -> !s.isEmpty()).ifPresent(scopes -> form.put("scope", String.join(" ", scopes)));
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(auth.tokenUrl().orElseThrow())
                .setIdleTimeout(limits.requestTimeout().toMillis()).setConnectTimeout(limits.requestDeadline().toMillis())
                .putHeader("Content-Type", "application/x-www-form-urlencoded").putHeader("Accept", "application/json");
        if (secretInBody) {
            form.put("client_id", auth.clientId().orElse(""));
            auth.clientSecret().ifPresent(secret -> form.put("client_secret", secret));
        } else {
            // RFC 6749 2.3.1: both parts form-encoded before Basic encoding.
            String credentials = encode(auth.clientId().orElse("")) + ":" + encode(auth.clientSecret().orElse(""));
            options.putHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        String body = form.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue())).collect(Collectors.joining("&"));
        Instant asked = clock.instant();
        return BoundedExchange.send(vertx, http, options, Buffer.buffer(body), limits.requestDeadline(),
                        limits.maxResponseSize().asLongValue())
                .chain(answer -> granted(answer.status(), answer.body(), asked));
    }

    private Uni<String> granted(int status, String body, Instant asked) {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (Exception e) {
            json = JSON.createObjectNode();
        }
        if (status >= 200 && status < 300 && json.path("access_token").isTextual()) {
            long lifetime = json.path("expires_in").asLong(3600);
            String rotated = json.path("refresh_token").isTextual() ? json.path("refresh_token").asText() : null;
            String token;
            synchronized (this) {
                accessToken = json.path("access_token").asText();
                mustRenew = false;
                refusedAt = null;
                renewAt = asked.plus(Duration.ofSeconds(lifetime)).minus(ahead(Duration.ofSeconds(lifetime)));
                expiresAt = asked.plus(Duration.ofSeconds(lifetime));
                if (rotated != null && !rotated.equals(refreshToken)) {
                    refreshToken = rotated;
                    refreshVersion++;
                    unsaved = true;
                }
                token = accessToken;
            }
            LOG.debugf("source=%s: new access token, valid %d s%s", source, lifetime, rotated != null ? ", refresh token rotated" : "");
            SharedTokens.Shared shared;
            synchronized (this) {
                shared = new SharedTokens.Shared(token, renewAt, expiresAt, null);
            }
            return saveRotated()
                    // Shared only once its refresh token is saved; a token not shared is only renewed again elsewhere.
                    .call(() -> store.shareToken(shared).onFailure().recoverWithItem(failure -> {
                        LOG.debugf("source=%s: the access token not shared (%s)", source, failure.getClass().getSimpleName());
                        return null;
                    }))
                    .replaceWith(token);
        }
        String error = json.path("error").asText("");
        if ("invalid_grant".equals(error) && refreshGrant && !retriedAfterRotation) {
            // Refused because another replica rotated the token a moment ago? Then the store has a newer one, or
            // will have once that replica's save lands: look a few times before asking a person.
            long sent;
            String sentToken;
            synchronized (this) {
                sent = refreshVersion;
                sentToken = refreshToken;
            }
            retriedAfterRotation = true;
            return otherStored(sent, sentToken, 0).chain(other -> other ? renew() : granted(status, body, asked))
                    .eventually(() -> retriedAfterRotation = false);
        }
        if ("invalid_grant".equals(error) || "invalid_client".equals(error) || "unauthorized_client".equals(error)) {
            String reason = "the token endpoint refused the grant (" + error + ")";
            long version;
            synchronized (this) {
                refused = reason;
                version = refreshVersion;
            }
            LOG.errorf("source=%s needs re-authorization: %s; configure a new refresh token or client credentials", source, reason);
            return store.refuse(reason, version).chain(() -> Uni.createFrom().failure(needsReauthorization()));
        }
        // Anything else (5xx, a proxy's page): a failed call like any other, retried by the caller's backoff.
        return Uni.createFrom().failure(new IllegalStateException("token endpoint answered " + status));
    }

    /**
     * After the provider refused {@code sentToken} (version {@code sent}): whether the store holds another
     * token to try, looking up to REFUSAL_LOOKS times, and if so, takes it. Another is a newer version, or,
     * at the same version, a different token: a replica of a release before versions (a rolling update)
     * saves its rotations without one.
     */
    private Uni<Boolean> otherStored(long sent, String sentToken, int looks) {
        return store.load().chain(state -> {
            boolean other = state.refreshToken().filter(stored -> state.version() > sent
                    || state.version() == sent && !stored.equals(sentToken)).isPresent();
            if (other) {
                synchronized (this) {
                    refreshToken = state.refreshToken().get();
                    refreshVersion = Math.max(refreshVersion, state.version());
                }
            }
            if (other || looks + 1 >= REFUSAL_LOOKS) {
                return Uni.createFrom().item(other);
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(SAVE_BACKOFF.multipliedBy(5L << looks))
                    .chain(() -> otherStored(sent, sentToken, looks + 1));
        });
    }

    /**
     * What the operator configured for this grant. When any of it changes (a new client secret, a new refresh
     * token), the stored state — a rotated token, a refusal — belongs to the old grant and is ignored.
     */
    static String seed(TidemarkConfig.Auth auth) {
        return String.join("\u0000", auth.type(), auth.tokenUrl().orElse(""), auth.clientId().orElse(""),
                auth.clientSecret().orElse(""), auth.refreshToken().orElse(""));
    }

    /**
     * How long before a token of {@code lifetime} expires it is renewed: a random point of the configured window;
     * for a token living under twice the window's end, 10–25 % of its lifetime.
     */
    Duration ahead(Duration lifetime) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Duration min = limits.tokenRefreshAheadMin();
        Duration max = limits.tokenRefreshAheadMax();
        if (lifetime.compareTo(max.multipliedBy(2)) < 0) {
            return Duration.ofMillis((long) (lifetime.toMillis() * (0.10 + random.nextDouble() * 0.15)));
        }
        return min.plusMillis((long) (random.nextDouble() * (max.toMillis() - min.toMillis())));
    }

    /** What the grant was set up from. */
    String seed() {
        return seed;
    }

    private ProviderCallException needsReauthorization() {
        return new ProviderCallException("source " + source + " needs re-authorization: " + refused, false, -1);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
