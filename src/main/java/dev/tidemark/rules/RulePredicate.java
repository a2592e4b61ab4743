package dev.tidemark.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.cel.CelJson;
import dev.tidemark.cel.CelPredicate;
import dev.tidemark.cel.CelPredicate.Outcome;
import java.util.Map;

/**
 * One rule's CEL predicate over {@code record}, compiled once. A record that
 * does not exist or is deleted is false without evaluating anything (README
 * "Rules and events"); a predicate that fails on one record (a missing field,
 * a type it cannot compare) is reported as {@link Outcome#ERROR}, which the
 * caller counts and treats as false.
 */
public final class RulePredicate {

    private final CelPredicate predicate;

    private RulePredicate(CelPredicate predicate) {
        this.predicate = predicate;
    }

    /**
     * Parses and type-checks the expression; a predicate must be boolean.
     *
     * @throws IllegalArgumentException with CEL's own description of what is wrong and where
     */
    public static RulePredicate compile(String expression) {
        return new RulePredicate(CelPredicate.compile(expression, "record"));
    }

    /** The CEL variables for a record's data, or null for a record that is absent or deleted. */
    public static Map<String, Object> variables(JsonNode data) {
        return data == null || data.isNull() ? null : Map.of("record", CelJson.toCel(data));
    }

    /** The predicate over a record's data; null data (a record that is absent or deleted) is false. */
    public Outcome test(JsonNode data) {
        return evaluate(variables(data));
    }

    /**
     * The predicate over a record already converted by {@link #variables}:
     * several rules on one state convert its JSON once.
     */
    public Outcome evaluate(Map<String, Object> variables) {
        return variables == null ? Outcome.FALSE : predicate.evaluate(variables);
    }
}
