package dev.tidemark.rules;

/**
 * A compiled rule: fires {@code eventType} when its predicate over a record of
 * {@code source}/{@code resource} goes false to true ({@code rising}) or true
 * to false ({@code falling}) between two applied states.
 */
public record Rule(String name, String source, String resource, boolean rising, String eventType, RulePredicate predicate) {

    /** Whether the predicate's values before and after one applied transition make this rule's edge. */
    public boolean fires(boolean before, boolean after) {
        return rising ? !before && after : before && !after;
    }
}
