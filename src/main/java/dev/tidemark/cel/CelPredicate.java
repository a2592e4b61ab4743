package dev.tidemark.cel;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.Map;

/**
 * A CEL predicate over JSON (as {@link CelJson} converts it), compiled once, over the variables its user names
 * ({@code record} for a rule or a parent filter, {@code event} and {@code headers} for a webhook's delete-when). A
 * predicate that fails on one input (a missing field, a type it cannot compare) is {@link Outcome#ERROR}, which the
 * caller counts and treats as false.
 */
public final class CelPredicate {

    public enum Outcome {
        TRUE, FALSE, ERROR;

        public boolean holds() {
            return this == TRUE;
        }
    }

    /**
     * Iterations of all comprehensions (exists, all, map, filter) in one evaluation. The input is a provider's
     * data: a nested comprehension over an array of a hundred thousand items would otherwise hold a thread for
     * minutes. Past it, the evaluation is an {@link Outcome#ERROR}.
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
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(OPTIONS)
            .build();

    private final CelRuntime.Program program;

    private CelPredicate(CelRuntime.Program program) {
        this.program = program;
    }

    /**
     * Parses and type-checks the expression over {@code variables} (each of any JSON type); a predicate must be boolean.
     *
     * @throws IllegalArgumentException with CEL's own description of what is wrong and where
     */
    public static CelPredicate compile(String expression, String... variables) {
        CelCompilerBuilder builder = CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(OPTIONS)
                // has(event.x), exists, all, map, filter: what people reach for over JSON.
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .setResultType(SimpleType.BOOL);
        for (String variable : variables) {
            builder.addVar(variable, SimpleType.DYN);
        }
        CelCompiler compiler = builder.build();
        try {
            CelAbstractSyntaxTree ast = compiler.compile(expression).getAst();
            return new CelPredicate(RUNTIME.createProgram(ast));
        } catch (CelValidationException e) {
            throw new IllegalArgumentException(e.getMessage().replace('\n', ' ').replaceAll("\\s+", " ").trim(), e);
        } catch (CelEvaluationException e) {
            throw new IllegalArgumentException("cannot be planned: " + e.getMessage(), e);
        }
    }

    /** The predicate over its variables, each already converted by {@link CelJson#toCel}. */
    public Outcome evaluate(Map<String, Object> variables) {
        try {
            Object result = program.eval(variables);
            return Boolean.TRUE.equals(result) ? Outcome.TRUE : Outcome.FALSE;
        } catch (CelEvaluationException | RuntimeException e) {
            return Outcome.ERROR;
        }
    }
}
