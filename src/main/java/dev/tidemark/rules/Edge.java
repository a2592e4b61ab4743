package dev.tidemark.rules;

import dev.tidemark.config.ConfigKind;

/** Which crossing of a rule's predicate fires its event ({@code rules.X.edge}). */
public enum Edge implements ConfigKind {
    /** From false (or no record) to true. */
    RISING,
    /** From true to false (or deleted). */
    FALLING
}
