package dev.tidemark.config;

import dev.tidemark.receiver.signature.SignatureSchemes;
import dev.tidemark.rules.RulePredicate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks a typed mapping cannot express. Each problem names the key to fix,
 * so a mistake stops start-up with a message a user can act on.
 */
public final class TidemarkConfigCheck {

    static final Set<String> EDGES = Set.of("rising", "falling");
    static final Set<String> HMAC_ALGORITHMS = Set.of("sha256", "sha512");
    static final Set<String> HMAC_ENCODINGS = Set.of("hex", "base64");

    private TidemarkConfigCheck() {
    }

    public static List<String> problems(TidemarkConfig config) {
        List<String> problems = new ArrayList<>();
        try {
            Roles.parse(config.roles().orElse(null));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        config.sources().forEach((name, source) -> checkSource("tidemark.sources." + name, source, problems));
        config.rules().forEach((name, rule) -> checkRule("tidemark.rules." + name, rule, config, problems));
        return problems;
    }

    /** Throws with every problem at once, so a user fixes them in one go. */
    public static void require(TidemarkConfig config) {
        List<String> problems = problems(config);
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
    }

    private static void checkSource(String key, TidemarkConfig.Source source, List<String> problems) {
        source.webhook().ifPresent(webhook -> checkWebhook(key + ".webhook", webhook, problems));
        Map<String, String> resourceOfEvent = new HashMap<>();
        source.resources().forEach((name, resource) -> {
            String rkey = key + ".resources." + name;
            pointer(rkey + ".id", resource.id(), problems);
            pointer(rkey + ".updated-at", resource.updatedAt(), problems);
            resource.list().flatMap(TidemarkConfig.ListEndpoint::items)
                    .ifPresent(items -> pointer(rkey + ".list.items", items, problems));
            resource.webhook().ifPresent(webhook -> {
                webhook.record().ifPresent(record -> pointer(rkey + ".webhook.record", record, problems));
                webhook.id().ifPresent(id -> pointer(rkey + ".webhook.id", id, problems));
                webhook.updatedAt().ifPresent(at -> pointer(rkey + ".webhook.updated-at", at, problems));
                if (source.webhook().isEmpty()) {
                    problems.add(rkey + ".webhook: maps webhook events, but " + key + ".webhook (scheme and secrets) is not configured");
                }
                List<String> types = new ArrayList<>(webhook.events().orElse(List.of()));
                types.addAll(webhook.deleteEvents().orElse(List.of()));
                for (String type : types) {
                    String previous = resourceOfEvent.putIfAbsent(type, name);
                    if (previous != null) {
                        problems.add(rkey + ".webhook: event type '" + type + "' is already mapped by "
                                + key + ".resources." + previous + ".webhook; an event type feeds one resource");
                    }
                }
            });
        });
    }

    private static void checkWebhook(String key, TidemarkConfig.Webhook webhook, List<String> problems) {
        if (!SignatureSchemes.NAMES.contains(webhook.scheme())) {
            problems.add(key + ".scheme: unknown signature scheme '" + webhook.scheme() + "' (known: "
                    + String.join(", ", new TreeSet<>(SignatureSchemes.NAMES)) + ")");
        }
        boolean secretsPresent = webhook.secrets().map(list -> !list.isEmpty() && list.stream().noneMatch(String::isBlank)).orElse(false);
        if (!secretsPresent) {
            problems.add(key + ".secrets: a source that receives webhooks needs at least one non-empty secret");
        } else if (SignatureSchemes.NAMES.contains(webhook.scheme()) && !"hmac".equals(webhook.scheme())) {
            try {
                SignatureSchemes.create(webhook);
            } catch (IllegalArgumentException e) {
                // The message says what is wrong with a secret, never the secret itself.
                problems.add(key + ".secrets: " + e.getMessage());
            }
        }
        if (webhook.tolerance().isNegative() || webhook.tolerance().isZero()) {
            problems.add(key + ".tolerance: must be positive, was " + webhook.tolerance());
        }
        pointer(key + ".event-type", webhook.eventType(), problems);
        if ("hmac".equals(webhook.scheme())) {
            TidemarkConfig.Hmac hmac = webhook.hmac();
            oneOf(key + ".hmac.algorithm", hmac.algorithm(), HMAC_ALGORITHMS, problems);
            oneOf(key + ".hmac.encoding", hmac.encoding(), HMAC_ENCODINGS, problems);
            if (!hmac.signedContent().contains("{body}")) {
                problems.add(key + ".hmac.signed-content: must contain {body}, was '" + hmac.signedContent() + "'");
            }
            if (hmac.signedContent().contains("{timestamp}") && hmac.timestampHeader().isEmpty()) {
                problems.add(key + ".hmac.signed-content: uses {timestamp}, but " + key + ".hmac.timestamp-header is not set");
            }
        }
    }

    private static void checkRule(String key, TidemarkConfig.Rule rule, TidemarkConfig config, List<String> problems) {
        TidemarkConfig.Source source = config.sources().get(rule.source());
        if (source == null) {
            problems.add(key + ".source: unknown source '" + rule.source() + "' (configured: "
                    + String.join(", ", new TreeSet<>(config.sources().keySet())) + ")");
        } else if (!source.resources().containsKey(rule.resource())) {
            problems.add(key + ".resource: source '" + rule.source() + "' has no resource '" + rule.resource()
                    + "' (configured: " + String.join(", ", new TreeSet<>(source.resources().keySet())) + ")");
        }
        oneOf(key + ".edge", rule.edge(), EDGES, problems);
        if (rule.when().isBlank()) {
            problems.add(key + ".when: the rule's CEL predicate is empty");
        } else {
            try {
                RulePredicate.compile(rule.when());
            } catch (IllegalArgumentException e) {
                problems.add(key + ".when: not a boolean CEL predicate over record: " + e.getMessage());
            }
        }
    }

    private static void pointer(String key, String value, List<String> problems) {
        Optional<String> problem = JsonPointers.problem(value);
        problem.ifPresent(p -> problems.add(key + ": '" + value + "' is not a JSON pointer: " + p));
    }

    private static void oneOf(String key, String value, Set<String> allowed, List<String> problems) {
        if (!allowed.contains(value)) {
            problems.add(key + ": '" + value + "' is not one of " + String.join(", ", new TreeSet<>(allowed)));
        }
    }

    /** Raised at start-up; its message lists every problem, one per line. */
    public static final class InvalidConfigurationException extends RuntimeException {
        private final List<String> problems;

        InvalidConfigurationException(List<String> problems) {
            super("Invalid Tidemark configuration:\n  - " + String.join("\n  - ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }
}
