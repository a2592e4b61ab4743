package dev.tidemark.poller;

import dev.tidemark.config.TidemarkConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A source's auth with one connection's credentials in place of the
 * source's: the type, header, query parameter, token endpoint, scopes and
 * client authentication are the source's; the token, username, password,
 * refresh token and (when the connection has them) client id and secret are
 * the connection's. A credential the connection lacks is absent, never the
 * source's: one account must not call with another's secret.
 */
record ConnectionAuth(TidemarkConfig.Auth source, Map<String, String> credentials) implements TidemarkConfig.Auth {

    @Override
    public String type() {
        return source.type();
    }

    @Override
    public Optional<String> token() {
        return credential("token");
    }

    @Override
    public Optional<String> header() {
        return source.header();
    }

    @Override
    public Optional<String> queryParam() {
        return source.queryParam();
    }

    @Override
    public Optional<String> username() {
        return credential("username");
    }

    @Override
    public Optional<String> password() {
        return credential("password");
    }

    @Override
    public Optional<String> tokenUrl() {
        return source.tokenUrl();
    }

    /** The OAuth app is the source's unless the connection names its own. */
    @Override
    public Optional<String> clientId() {
        return credential("clientId").or(source::clientId);
    }

    @Override
    public Optional<String> clientSecret() {
        return credentials.containsKey("clientId") ? credential("clientSecret") : credential("clientSecret").or(source::clientSecret);
    }

    @Override
    public Optional<String> refreshToken() {
        return credential("refreshToken");
    }

    @Override
    public Optional<List<String>> scopes() {
        return source.scopes();
    }

    @Override
    public String clientAuthentication() {
        return source.clientAuthentication();
    }

    private Optional<String> credential(String field) {
        return Optional.ofNullable(credentials.get(field));
    }

    /** Never the credentials. */
    @Override
    public String toString() {
        return "ConnectionAuth[" + source.type() + ", " + credentials.keySet() + "]";
    }
}
