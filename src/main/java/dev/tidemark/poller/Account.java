package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import dev.tidemark.config.TidemarkConfig;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A connection as its calls need it: the source's base URL and paths filled
 * with the connection's variables, the origins its calls may go to, and the
 * auth it calls with (the source's own for an implicit connection; the
 * source's with the connection's credentials in place for another).
 * Resolved once per run or refetch by {@link Accounts}.
 *
 * @param credentialsVersion the stored credentials' version (0 for an implicit connection); a session made for an
 *                           older version is replaced
 * @param credentialsChangedAt when the API last set its credentials (a rotation keeps it); null for an implicit connection
 * @param grantSeed          what an OAuth2 grant is set up from: new credentials from the API give a new one, and so
 *                           a new session; a rotation of the refresh token does not
 * @param limits             its calls' budget: the source's rate-limit, with the connection's own parts in place
 * @param limitsAsOf         when the connection was last changed (the epoch for an implicit one): a run that resolved
 *                           its account earlier never puts older limits back
 */
record Account(Connection connection, URI baseUrl, Map<String, String> variables, Optional<TidemarkConfig.Auth> auth,
        long credentialsVersion, Instant credentialsChangedAt, String grantSeed, ProviderOrigins origins, CallLimits limits,
        Instant limitsAsOf) {

    /** Never the credentials. */
    @Override
    public String toString() {
        return "Account[" + connection + "]";
    }
}
