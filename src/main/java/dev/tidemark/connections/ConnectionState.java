package dev.tidemark.connections;

import dev.tidemark.config.ConfigKind;

/**
 * Where a connection stands. Stored and answered by its kebab-case name.
 * Webhooks are applied in every state (a paused account's changes still
 * arrive, and dropping them would lose them); polls run only when active.
 */
public enum ConnectionState implements ConfigKind {
    /** Polled on schedule and on request. */
    ACTIVE,
    /** Set by the API: its polls wait until it is active again. */
    PAUSED,
    /** The provider refused its credentials in a way no retry cures; new credentials make it active again. */
    NEEDS_REAUTHORIZATION
}
