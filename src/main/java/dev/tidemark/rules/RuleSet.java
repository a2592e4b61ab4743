package dev.tidemark.rules;

import dev.tidemark.cel.CelPredicate;
import dev.tidemark.metrics.Metric;
import dev.tidemark.change.RecordKey;
import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.change.Transition;
import dev.tidemark.change.StoredState;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every configured rule, compiled at start-up, and the edge evaluation over
 * the sequence of states the processor applied (README "Rules and
 * events"): each applied intermediate state counts, a dropped change is not a
 * state, and a record that is absent or deleted is false.
 */
@ApplicationScoped
public class RuleSet {

    /** One rule firing on one applied transition. */
    public record Fired(Rule rule, Transition transition) {
    }

    private final Map<String, List<Rule>> byResource = new HashMap<>();
    private final MeterRegistry metrics;

    @Inject
    public RuleSet(TidemarkConfig config, MeterRegistry metrics) {
        this(compile(config.rules()), metrics);
    }

    public RuleSet(List<Rule> rules, MeterRegistry metrics) {
        this.metrics = metrics;
        for (Rule rule : rules) {
            byResource.computeIfAbsent(rule.source() + "/" + rule.resource(), k -> new ArrayList<>()).add(rule);
        }
    }

    /**
     * Compiles rules in name order.
     *
     * @throws IllegalArgumentException naming the first rule whose predicate does not compile
     */
    public static List<Rule> compile(Map<String, TidemarkConfig.Rule> configured) {
        List<Rule> rules = new ArrayList<>();
        new TreeMap<>(configured).forEach((name, rule) -> {
            RulePredicate predicate;
            try {
                predicate = RulePredicate.compile(rule.when());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tidemark.rules." + name + ".when: " + e.getMessage(), e);
            }
            rules.add(new Rule(name, rule.source(), rule.resource(), ConfigKind.named(Edge.class, rule.edge()).orElse(Edge.RISING) == Edge.RISING, rule.eventType(), predicate));
        });
        return rules;
    }

    /** The edges that one record's applied transitions (in applied order) make, in that order. */
    public List<Fired> edges(RecordKey key, List<Transition> transitions) {
        List<Rule> rules = byResource.get(key.source() + "/" + key.resource());
        if (rules == null || transitions.isEmpty()) {
            return List.of();
        }
        List<Fired> fired = new ArrayList<>();
        // Truth of each rule on each state: the first transition's previous state, then each next one.
        // Each state's JSON becomes CEL values once, for all the rules.
        boolean[][] truth = new boolean[rules.size()][transitions.size() + 1];
        for (int t = 0; t <= transitions.size(); t++) {
            StoredState state = t == 0 ? transitions.get(0).previous() : transitions.get(t - 1).next();
            Map<String, Object> variables = RulePredicate.variables(state == null || state.deleted() ? null : state.data());
            for (int r = 0; r < rules.size(); r++) {
                truth[r][t] = holds(rules.get(r), variables);
            }
        }
        for (int t = 0; t < transitions.size(); t++) {
            for (int r = 0; r < rules.size(); r++) {
                if (rules.get(r).fires(truth[r][t], truth[r][t + 1])) {
                    fired.add(new Fired(rules.get(r), transitions.get(t)));
                }
            }
        }
        return fired;
    }

    private boolean holds(Rule rule, Map<String, Object> variables) {
        CelPredicate.Outcome outcome = rule.predicate().evaluate(variables);
        if (outcome == CelPredicate.Outcome.ERROR) {
            metrics.counter(Metric.RULE_EVALUATION_ERRORS, "rule", rule.name()).increment();
        }
        return outcome.holds();
    }
}
