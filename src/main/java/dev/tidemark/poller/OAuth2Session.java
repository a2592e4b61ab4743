package dev.tidemark.poller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.config.TidemarkConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
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
 * One source's OAuth2 access token (client credentials, or a refresh token):
 * fetched when first needed, renewed before it expires (at 75–90 % of its
 * lifetime, the jitter keeping replicas apart), one renewal at a time —
 * callers that need a token while one is under way wait for it. A refresh
 * token the provider rotates is persisted at once, so a restart uses the
 * latest. When the provider refuses the grant ({@code invalid_grant}), the
 * source needs a person to re-authorize it: no call is retried until the
 * configured refresh token changes. Tokens and secrets are never logged.
 */
final class OAuth2Session {

    private static final Logger LOG = Logger.getLogger(OAuth2Session.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final TidemarkConfig.Auth auth;
    private final HttpClient http;
    private final PollerStore store;
    private final InstantSource clock;
    private final Duration timeout;

    private String accessToken;
    private Instant renewAt = Instant.MIN;
    private String refreshToken;
    private boolean loaded;
    private String refused;
    private Uni<String> renewal;
    private volatile boolean retriedAfterRotation;

    OAuth2Session(String source, TidemarkConfig.Auth auth, HttpClient http, PollerStore store, InstantSource clock, Duration timeout) {
        this.source = source;
        this.auth = auth;
        this.http = http;
        this.store = store;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** A valid access token, renewed first if it is due. */
    synchronized Uni<String> token() {
        if (refused != null) {
            return Uni.createFrom().failure(needsReauthorization());
        }
        if (accessToken != null && clock.instant().isBefore(renewAt)) {
            return Uni.createFrom().item(accessToken);
        }
        if (renewal == null) {
            renewal = load().chain(this::latestRefreshToken).chain(this::renew)
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
        if (token.equals(accessToken)) {
            accessToken = null;
        }
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
        return store.authState(source, seed()).invoke(state -> {
            synchronized (this) {
                loaded = true;
                refreshToken = state.refreshToken().orElse(auth.refreshToken().orElse(null));
                refused = state.refused().orElse(null);
            }
        }).replaceWithVoid();
    }

    /**
     * Another replica may have rotated the refresh token since this one read
     * it (the old one is then refused): take the stored one before each grant.
     */
    private Uni<Void> latestRefreshToken() {
        if (!"oauth2-refresh-token".equals(auth.type())) {
            return Uni.createFrom().voidItem();
        }
        return store.authState(source, seed()).invoke(state -> state.refreshToken().ifPresent(stored -> {
            synchronized (this) {
                refreshToken = stored;
            }
        })).replaceWithVoid();
    }

    private Uni<String> renew() {
        synchronized (this) {
            if (refused != null) {
                return Uni.createFrom().failure(needsReauthorization());
            }
        }
        Map<String, String> form = new LinkedHashMap<>();
        boolean refreshGrant = "oauth2-refresh-token".equals(auth.type());
        form.put("grant_type", refreshGrant ? "refresh_token" : "client_credentials");
        if (refreshGrant) {
            form.put("refresh_token", refreshToken);
        }
        auth.scopes().filter(s -> !s.isEmpty()).ifPresent(scopes -> form.put("scope", String.join(" ", scopes)));
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(auth.tokenUrl().orElseThrow())
                .setIdleTimeout(timeout.toMillis())
                .putHeader("Content-Type", "application/x-www-form-urlencoded").putHeader("Accept", "application/json");
        if ("body".equals(auth.clientAuthentication())) {
            form.put("client_id", auth.clientId().orElse(""));
            auth.clientSecret().ifPresent(secret -> form.put("client_secret", secret));
        } else {
            // RFC 6749 2.3.1: both parts form-encoded before Basic encoding.
            String credentials = encode(auth.clientId().orElse("")) + ":" + encode(auth.clientSecret().orElse(""));
            options.putHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        String body = form.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue())).collect(Collectors.joining("&"));
        Instant asked = clock.instant();
        return http.request(options)
                .chain(request -> request.send(Buffer.buffer(body)))
                .chain(response -> response.body().map(answer -> Map.entry(response.statusCode(), answer.toString(StandardCharsets.UTF_8))))
                .chain(answer -> granted(answer.getKey(), answer.getValue(), asked));
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
            Uni<Void> persisted = Uni.createFrom().voidItem();
            synchronized (this) {
                accessToken = json.path("access_token").asText();
                double share = 0.75 + ThreadLocalRandom.current().nextDouble() * 0.15;
                renewAt = asked.plusMillis((long) (lifetime * 1000 * share));
                if (rotated != null && !rotated.equals(refreshToken)) {
                    refreshToken = rotated;
                    persisted = store.saveRefreshToken(source, seed(), rotated);
                }
            }
            LOG.debugf("source=%s: new access token, valid %d s%s", source, lifetime, rotated != null ? ", refresh token rotated" : "");
            String token = accessToken;
            return persisted.replaceWith(token);
        }
        String error = json.path("error").asText("");
        if ("invalid_grant".equals(error) && "oauth2-refresh-token".equals(auth.type()) && !retriedAfterRotation) {
            // Refused because another replica rotated the token a moment ago? Then the store has a newer one.
            String sent;
            synchronized (this) {
                sent = refreshToken;
            }
            retriedAfterRotation = true;
            return latestRefreshToken().chain(() -> {
                boolean newer;
                synchronized (this) {
                    newer = !java.util.Objects.equals(sent, refreshToken);
                }
                return newer ? renew() : granted(status, body, asked);
            }).eventually(() -> retriedAfterRotation = false);
        }
        if ("invalid_grant".equals(error) || "invalid_client".equals(error) || "unauthorized_client".equals(error)) {
            String reason = "the token endpoint refused the grant (" + error + ")";
            synchronized (this) {
                refused = reason;
            }
            LOG.errorf("source=%s needs re-authorization: %s; configure a new refresh token or client credentials", source, reason);
            return store.refuse(source, seed(), reason).chain(() -> Uni.createFrom().failure(needsReauthorization()));
        }
        // Anything else (5xx, a proxy's page): a failed call like any other, retried by the caller's backoff.
        return Uni.createFrom().failure(new IllegalStateException("token endpoint answered " + status));
    }

    /**
     * What the operator configured for this grant. When any of it changes (a new client secret, a new refresh
     * token), the stored state — a rotated token, a refusal — belongs to the old grant and is ignored.
     */
    private String seed() {
        return String.join("\u0000", auth.type(), auth.tokenUrl().orElse(""), auth.clientId().orElse(""),
                auth.clientSecret().orElse(""), auth.refreshToken().orElse(""));
    }

    private ProviderCallException needsReauthorization() {
        return new ProviderCallException("source " + source + " needs re-authorization: " + refused, false, -1);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
