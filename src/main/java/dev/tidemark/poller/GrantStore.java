package dev.tidemark.poller;

import dev.tidemark.connections.SharedTokens;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

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

    /** Runs {@code work} holding the grant's claim across replicas for at most {@code hold}, waiting at most {@code wait} for it. */
    <T> Uni<T> exclusively(Duration hold, Duration wait, Supplier<Uni<T>> work);

    /** The access token another replica got for this grant, if any is shared and not expired. */
    Uni<Optional<SharedTokens.Shared>> sharedToken();

    /** Shares the access token this replica got with the others. */
    Uni<Void> shareToken(SharedTokens.Shared token);

    /** Now, by the clock shared tokens are stamped with. */
    Uni<java.time.Instant> now();
}
