package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How Tidemark authenticates at a provider's API ({@code api.auth.type}),
 * as a strategy like the webhook's {@code SignatureScheme}: each kind checks
 * its own settings and puts its credentials on a request. The OAuth2 kinds
 * get their access token from an {@link OAuth2Session}. A new auth type is
 * one constant here. Secrets are never logged, and no problem names one.
 */
public enum ProviderAuth implements ConfigKind {

    BEARER {
        @Override
        URI authorize(TidemarkConfig.Auth auth, RequestOptions options, URI uri) {
            options.putHeader("Authorization", "Bearer " + auth.token().orElse(""));
            return uri;
        }

        @Override
        void problems(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems) {
            requireToken(key, auth, polling, problems);
        }
    },
    API_KEY {
        /** In a header (default X-API-Key), or in the query for APIs that take the key in the URL: then the URI changes. */
        @Override
        URI authorize(TidemarkConfig.Auth auth, RequestOptions options, URI uri) {
            if (auth.queryParam().isPresent()) {
                String param = URLEncoder.encode(auth.queryParam().get(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(auth.token().orElse(""), StandardCharsets.UTF_8);
                return URI.create(uri + (uri.getRawQuery() == null ? "?" : "&") + param);
            }
            options.putHeader(auth.header().orElse("X-API-Key"), auth.token().orElse(""));
            return uri;
        }

        @Override
        void problems(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems) {
            requireToken(key, auth, polling, problems);
        }
    },
    BASIC {
        @Override
        URI authorize(TidemarkConfig.Auth auth, RequestOptions options, URI uri) {
            options.putHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (auth.username().orElse("") + ":" + auth.password().orElse("")).getBytes(StandardCharsets.UTF_8)));
            return uri;
        }

        @Override
        void problems(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems) {
            if (auth.username().filter(u -> !u.isBlank()).isEmpty()) {
                problems.add(key + ".username: auth type basic needs a username");
            }
        }
    },
    OAUTH2_CLIENT_CREDENTIALS {
        @Override
        void problems(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems) {
            oauth2Problems(key, auth, problems);
            if (polling && auth.clientSecret().filter(c -> !c.isBlank()).isEmpty()) {
                // Refused by the provider otherwise (invalid_client), which would mark the source as needing re-authorization.
                problems.add(key + ".client-secret: the client-credentials grant needs the client secret where the source is polled");
            }
            clientAuthenticationProblems(key, auth, problems);
        }
    },
    OAUTH2_REFRESH_TOKEN {
        @Override
        void problems(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems) {
            oauth2Problems(key, auth, problems);
            if (polling && auth.refreshToken().filter(t -> !t.isBlank()).isEmpty()) {
                problems.add(key + ".refresh-token: auth type oauth2-refresh-token needs the refresh token it starts from");
            }
            clientAuthenticationProblems(key, auth, problems);
        }
    };

    /** How an OAuth2 client authenticates at the token endpoint ({@code auth.client-authentication}). */
    public enum ClientAuthentication implements ConfigKind {
        /** HTTP Basic, RFC 6749's default. */
        BASIC,
        /** client_id and client_secret in the form body. */
        BODY
    }

    /**
     * The credential fields a connection of a source of this kind may carry
     * (docs/connections.md), as the API names them.
     */
    public List<String> credentialFields() {
        return switch (this) {
            case BEARER, API_KEY -> List.of("token");
            case BASIC -> List.of("username", "password");
            case OAUTH2_CLIENT_CREDENTIALS -> List.of("clientId", "clientSecret");
            case OAUTH2_REFRESH_TOKEN -> List.of("refreshToken", "clientId", "clientSecret");
        };
    }

    /**
     * What is wrong with a connection's credentials for a source whose auth is
     * {@code auth}, naming the field ({@code credentials.token}); the values
     * are never part of it.
     */
    public Optional<String> credentialProblem(TidemarkConfig.Auth auth, Map<String, String> credentials) {
        for (var entry : credentials.entrySet()) {
            if (!credentialFields().contains(entry.getKey())) {
                String name = entry.getKey().length() > 64 || !entry.getKey().chars().allMatch(c -> c >= 0x21 && c < 0x7f)
                        ? "(a field)" : entry.getKey();
                return Optional.of("credentials." + name + ": auth type " + configName() + " takes "
                        + String.join(", ", credentialFields()));
            }
            if (entry.getValue() == null || entry.getValue().isBlank()) {
                return Optional.of("credentials." + entry.getKey() + ": must not be empty");
            }
        }
        if (credentials.containsKey("clientId") && !credentials.containsKey("clientSecret")) {
            // A connection's own OAuth client is never paired with the source's secret.
            return Optional.of("credentials.clientSecret: required with credentials.clientId");
        }
        Optional<String> missing = switch (this) {
            case BEARER, API_KEY -> Optional.of("token").filter(f -> !credentials.containsKey(f));
            case BASIC -> Optional.of("username").filter(f -> !credentials.containsKey(f));
            case OAUTH2_REFRESH_TOKEN -> Optional.of("refreshToken").filter(f -> !credentials.containsKey(f))
                    .or(() -> clientMissing(auth, credentials));
            case OAUTH2_CLIENT_CREDENTIALS -> clientMissing(auth, credentials)
                    .or(() -> Optional.of("clientSecret").filter(f -> !credentials.containsKey(f) && auth.clientSecret().isEmpty()));
        };
        return missing.map(field -> "credentials." + field + ": required by auth type " + configName()
                + (field.startsWith("client") ? " (the source configures none)" : ""));
    }

    private static Optional<String> clientMissing(TidemarkConfig.Auth auth, Map<String, String> credentials) {
        return Optional.of("clientId").filter(f -> !credentials.containsKey(f) && auth.clientId().filter(c -> !c.isBlank()).isEmpty());
    }

    /**
     * The source's auth with a connection's credentials in place of its own:
     * what a call for that connection authorizes with. The source keeps the
     * type, header, token endpoint and (unless the connection has its own) the
     * OAuth client.
     */
    public static TidemarkConfig.Auth withCredentials(TidemarkConfig.Auth source, Map<String, String> credentials) {
        return new ConnectionAuth(source, Map.copyOf(credentials));
    }

    /** The kind a source's auth configures. */
    public static ProviderAuth of(TidemarkConfig.Auth auth) {
        return ConfigKind.of(ProviderAuth.class, auth.type());
    }

    /** True for the kinds whose access token comes from a token endpoint. */
    public boolean oauth2() {
        return this == OAUTH2_CLIENT_CREDENTIALS || this == OAUTH2_REFRESH_TOKEN;
    }

    /**
     * Puts the source's credentials on the request; returns the URI to call
     * (an API key may go in its query). Not for the OAuth2 kinds, whose token
     * the {@link OAuth2Session} holds.
     */
    URI authorize(TidemarkConfig.Auth auth, RequestOptions options, URI uri) {
        throw new IllegalStateException(configName() + " authorizes with the token of its OAuth2 session");
    }

    /**
     * What is wrong with the settings of this kind under {@code key} (the
     * auth's); {@code polling} when this replica polls, and so needs the secrets.
     */
    abstract void problems(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems);

    /** The auth's problems: an unknown type, or the settings of its kind. */
    public static void check(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems) {
        ConfigKind.checked(key + ".type", ProviderAuth.class, auth.type(), problems)
                .ifPresent(kind -> kind.problems(key, auth, polling, problems));
    }

    private static void requireToken(String key, TidemarkConfig.Auth auth, boolean polling, List<String> problems) {
        if (polling && auth.token().filter(t -> !t.isBlank()).isEmpty()) {
            problems.add(key + ".token: auth type " + auth.type() + " needs a token");
        }
    }

    private static void oauth2Problems(String key, TidemarkConfig.Auth auth, List<String> problems) {
        if (auth.tokenUrl().filter(u -> u.startsWith("http://") || u.startsWith("https://")).isEmpty()) {
            problems.add(key + ".token-url: OAuth2 needs the token endpoint's http(s) URL");
        }
        if (auth.clientId().filter(c -> !c.isBlank()).isEmpty()) {
            problems.add(key + ".client-id: OAuth2 needs a client id");
        }
    }

    private static void clientAuthenticationProblems(String key, TidemarkConfig.Auth auth, List<String> problems) {
        ConfigKind.unknown(key + ".client-authentication", ClientAuthentication.class, auth.clientAuthentication())
                .ifPresent(problems::add);
    }
}
