package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;

/**
 * Where one OAuth2 grant keeps what outlives a replica: the latest rotated
 * refresh token with its version, and whether the provider refused the
 * grant. A source's implicit connection keeps it in {@code source_auth}
 * ({@link AuthStateStore}); a connection created through the API, sealed in
 * its own row ({@link ConnectionGrants}).
 */
interface GrantStore {

    /** The grant's stored state; no refresh token (version 0) when none is stored beyond the configured one. */
    Uni<AuthStateStore.AuthState> load();

    /** Saves a rotated refresh token of version {@code version}, unless a newer one is stored already. */
    Uni<Void> saveRefreshToken(String token, long version);

    /** Records that the provider refused the grant at version {@code version}, and why (never a secret). */
    Uni<Void> refuse(String reason, long version);
}
