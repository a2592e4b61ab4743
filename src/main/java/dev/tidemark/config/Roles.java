package dev.tidemark.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What one replica does (docs/operations.md "Roles"): any of receiver, processor,
 * poller, relay, from {@code TIDEMARK_ROLES} ({@code tidemark.roles}); all of
 * them when unset. One image scales out by running replicas with fewer roles.
 */
public enum Roles {
    RECEIVER, PROCESSOR, POLLER, RELAY;

    public static final String PROPERTY = "tidemark.roles";

    /** Whether this replica, configured by {@code config}, has this role. (A wrong value stops start-up before any asks.) */
    public boolean runsIn(TidemarkConfig config) {
        return parse(config.roles().orElse(null)).contains(this);
    }

    /** @throws IllegalArgumentException naming the unknown role */
    public static Set<Roles> parse(String value) {
        if (value == null || value.isBlank()) {
            return EnumSet.allOf(Roles.class);
        }
        Set<Roles> roles = EnumSet.noneOf(Roles.class);
        for (String name : value.split(",")) {
            String trimmed = name.trim().toUpperCase(Locale.ROOT);
            if (trimmed.isEmpty()) {
                continue;
            }
            try {
                roles.add(Roles.valueOf(trimmed));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PROPERTY + ": unknown role '" + name.trim() + "' (known: "
                        + Arrays.stream(values()).map(r -> r.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")) + ")");
            }
        }
        if (roles.isEmpty()) {
            throw new IllegalArgumentException(PROPERTY + ": names no role");
        }
        return roles;
    }
}
