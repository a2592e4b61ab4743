package dev.tidemark.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.Map;

/**
 * One rule's CEL predicate over {@code record}, compiled once. A record that
 * does not exist or is deleted is false without evaluating anything (README
 * "Rules and events"); a predicate that fails on one record (a missing field,
 * a type it cannot compare) is reported as {@link Outcome#ERROR}, which the
 * caller counts and treats as false.
 */
public final class RulePredicate {

    public enum Outcome {
        TRUE, FALSE, ERROR;

        public boolean holds() {
            return this == TRUE;
        }
    }

    /**
     * Iterations of all comprehensions (exists, all, map, filter) in one evaluation. A record is a provider's
     * data: a nested comprehension over an array of a hundred thousand items would otherwise hold the
     * processor for minutes. Past it, the evaluation is an {@link Outcome#ERROR} (false, and counted).
     */
    public static final int MAX_ITERATIONS = 100_000;

    /**
     * JSON numbers become int or double; comparing the two (amount >= 10000 with amount 12000.5) must work.
     * CEL programs always end, but their cost grows with the data: comprehensions are bounded above.
     */
    private static final CelOptions OPTIONS = CelOptions.current()
            .enableHeterogeneousNumericComparisons(true)
            .comprehensionMaxIterations(MAX_ITERATIONS)
            .build();
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            // has(record.x), exists, all, map, filter: what people reach for over JSON.
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("record", SimpleType.DYN)
            .setResultType(SimpleType.BOOL)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(OPTIONS)
            .build();

    private final CelRuntime.Program program;

    private RulePredicate(CelRuntime.Program program) {
        this.program = program;
    }

    /**
     * Parses and type-checks the expression; a predicate must be boolean.
     *
     * @throws IllegalArgumentException with CEL's own description of what is wrong and where
     */
    public static RulePredicate compile(String expression) {
        try {
            CelAbstractSyntaxTree ast = COMPILER.compile(expression).getAst();
            return new RulePredicate(RUNTIME.createProgram(ast));
        } catch (CelValidationException e) {
            throw new IllegalArgumentException(e.getMessage().replace('\n', ' ').replaceAll("\\s+", " ").trim(), e);
        } catch (CelEvaluationException e) {
            throw new IllegalArgumentException("cannot be planned: " + e.getMessage(), e);
        }
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
        if (variables == null) {
            return Outcome.FALSE;
        }
        try {
            Object result = program.eval(variables);
            return Boolean.TRUE.equals(result) ? Outcome.TRUE : Outcome.FALSE;
        } catch (CelEvaluationException | RuntimeException e) {
            return Outcome.ERROR;
        }
    }
}
