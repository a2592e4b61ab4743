package dev.tidemark.change;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a change came from; the ordering policy treats webhooks and polls differently on ties. */
public enum Origin {
    WEBHOOK,
    POLL,
    RECONCILE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A poll or reconcile read is a fresh authoritative read of the provider's state. */
    public boolean isAuthoritative() {
        return this != WEBHOOK;
    }
}
