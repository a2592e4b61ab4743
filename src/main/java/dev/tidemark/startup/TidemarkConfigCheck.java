package dev.tidemark.startup;

import dev.tidemark.config.PollerConfig;
import dev.tidemark.change.JsonPointers;
import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionVariables;
import dev.tidemark.receiver.WebhookRouting;
import dev.tidemark.poller.ChangeDetection;
import dev.tidemark.poller.NestedIds;
import dev.tidemark.poller.PaginationKind;
import dev.tidemark.poller.ProviderAuth;
import dev.tidemark.poller.SinceFormat;
import dev.tidemark.receiver.DeliveryMapper;
import dev.tidemark.receiver.signature.SchemeKind;
import dev.tidemark.rules.Edge;
import dev.tidemark.config.ProviderTemplates;
import dev.tidemark.rules.RulePredicate;
import dev.tidemark.secrets.SecretBox;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
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

    private TidemarkConfigCheck() {
    }

    public static List<String> problems(TidemarkConfig config) {
        List<String> problems = new ArrayList<>();
        Set<Roles> roles;
        try {
            roles = Roles.parse(config.roles().orElse(null));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            roles = Roles.parse(null);
        }
        // A replica is given only the secrets its roles use (k8s/base): a webhook secret where webhooks are
        // received, a provider's credentials where it is polled. Their absence elsewhere is no mistake.
        boolean receiving = roles.contains(Roles.RECEIVER);
        boolean polling = roles.contains(Roles.POLLER);
        if (config.poller().prefetchPages() < 0) {
            problems.add("tidemark.poller.prefetch-pages: must be 0 or more, was " + config.poller().prefetchPages());
        }
        PollerConfig poller = config.poller();
        bounds("tidemark.poller.max-pages", poller.maxPages(), "tidemark.poller.max-run-duration", poller.maxRunDuration(), problems);
        positive("tidemark.poller.max-sweep-duration", poller.maxSweepDuration(), problems);
        positive("tidemark.poller.request-deadline", poller.requestDeadline(), problems);
        positive("tidemark.poller.schedule-tick", poller.scheduleTick(), problems);
        positive("tidemark.poller.refetch-replay-window", poller.refetchReplayWindow(), problems);
        positive("tidemark.poller.max-provider-wait", poller.maxProviderWait(), problems);
        if (poller.tokenRefreshAheadMin().isNegative() || poller.tokenRefreshAheadMin().compareTo(poller.tokenRefreshAheadMax()) > 0) {
            problems.add("tidemark.poller.token-refresh-ahead-min: must be from 0 to token-refresh-ahead-max ("
                    + poller.tokenRefreshAheadMax() + "), was " + poller.tokenRefreshAheadMin());
        }
        if (poller.maxResponseSize().asLongValue() < 1024) {
            problems.add("tidemark.poller.max-response-size: must be at least 1K, was " + poller.maxResponseSize().asLongValue() + " bytes");
        }
        config.receiver().publicUrl().ifPresent(url -> {
            URI origin;
            try {
                origin = new URI(url);
            } catch (URISyntaxException e) {
                origin = null;
            }
            if (origin == null || !("https".equals(origin.getScheme()) || "http".equals(origin.getScheme())) || origin.getHost() == null
                    || origin.getRawUserInfo() != null || origin.getRawQuery() != null || origin.getRawFragment() != null) {
                problems.add("tidemark.receiver.public-url: must be an http(s) URL such as https://hooks.example.com, or with the path "
                        + "a proxy strips, https://example.com/tidemark (no user, query or fragment), was '" + url + "'");
            }
        });
        config.sources().forEach((name, source) -> checkSource("tidemark.sources." + name, source, receiving, polling, problems));
        // A signature over the URL, checked against the URL as this replica sees it (behind a TLS proxy, http://tidemark:8080/…),
        // would refuse every delivery, and with the host the sender chose: the URL providers call must be set.
        if (receiving && config.receiver().publicUrl().isEmpty()) {
            config.sources().forEach((name, source) -> source.webhook().filter(w -> "hmac".equals(w.scheme()))
                    .filter(w -> w.hmac().signedContent().contains("{url}")).ifPresent(w -> problems.add("tidemark.sources." + name
                            + ".webhook.hmac.signed-content: signs {url}, but tidemark.receiver.public-url (the URL providers call, "
                            + "e.g. https://hooks.example.com) is not set")));
        }
        config.rules().forEach((name, rule) -> checkRule("tidemark.rules." + name, rule, config, problems));
        problems.addAll(SecretBox.problems(config.secrets()));
        return problems;
    }

    /** A run's bounds: at least one page, a positive duration. */
    private static void bounds(String pagesKey, long pages, String durationKey, Duration duration, List<String> problems) {
        if (pages < 1) {
            problems.add(pagesKey + ": must be 1 or more, was " + pages);
        }
        positive(durationKey, duration, problems);
    }

    private static void positive(String key, Duration value, List<String> problems) {
        if (value.isZero() || value.isNegative()) {
            problems.add(key + ": must be positive, was " + value);
        }
    }

    /** Throws with every problem at once, so a user fixes them in one go. */
    public static void require(TidemarkConfig config) {
        require(config, List.of());
    }

    /** The same, with {@code more} problems found elsewhere (in the beans the configuration names). */
    public static void require(TidemarkConfig config, List<String> more) {
        List<String> problems = new ArrayList<>(problems(config));
        problems.addAll(more);
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
    }

    private static void checkSource(String key, TidemarkConfig.Source source, boolean receiving, boolean polling, List<String> problems) {
        source.template().filter(name -> !ProviderTemplates.NAMES.contains(name.trim())).ifPresent(name -> problems.add(key
                + ".template: no template named '" + name + "'; there are " + String.join(", ", ProviderTemplates.NAMES)));
        // Named in the environment alone, a source's name is not known when the templates are read (TIDEMARK_SOURCES_A_B_TEMPLATE
        // may be a-b's or a.b's): nothing of the template came, and the source would silently have no webhook or resources.
        source.template().filter(name -> ProviderTemplates.NAMES.contains(name.trim()))
                .filter(name -> source.webhook().isEmpty() && source.resources().isEmpty())
                .ifPresent(name -> problems.add(key + ".template: '" + name + "' was not applied: name the source in a configuration "
                        + "file (its name cannot be read from environment variables alone)"));
        source.webhook().ifPresent(webhook -> checkWebhook(key + ".webhook", webhook, receiving, problems));
        List<String> variables = source.connections().flatMap(TidemarkConfig.Connections::variables).orElse(List.of());
        source.connections().ifPresent(connections -> checkConnections(key, connections, source, problems));
        // A source with connections takes its credentials from each connection, not from its own auth.
        source.api().ifPresent(api -> checkApi(key + ".api", api, variables, polling && source.connections().isEmpty(), problems));
        Map<String, String> resourceOfEvent = new HashMap<>();
        source.resources().forEach((name, resource) -> {
            String rkey = key + ".resources." + name;
            pointer(rkey + ".id", resource.id(), problems);
            pointer(rkey + ".updated-at", resource.updatedAt(), problems);
            resource.list().ifPresent(list -> checkList(rkey + ".list", list, problems));
            ChangeDetection.check(rkey, resource, problems);
            if (resource.list().isPresent() && source.api().isEmpty()) {
                problems.add(rkey + ".list: polls a list endpoint, but " + key + ".api (base-url) is not configured");
            }
            if (resource.schedule().isPresent() && resource.list().isEmpty()) {
                problems.add(rkey + ".schedule: polls on a schedule, but " + rkey + ".list is not configured");
            }
            resource.schedule().filter(every -> every.isZero() || every.isNegative())
                    .ifPresent(every -> problems.add(rkey + ".schedule: must be positive, was " + every));
            if (resource.reconcile().isPresent() && resource.list().map(PaginationKind::mayShift).orElse(false)) {
                problems.add(rkey + ".reconcile: a sweep needs a walk that cannot miss a record while the list changes: "
                        + "cursor, last-item, next-url or link-header pagination, or list.updated-since.after-id-param");
            }
            bounds(rkey + ".max-pages", resource.maxPages().orElse(1), rkey + ".max-run-duration",
                    resource.maxRunDuration().orElse(Duration.ofSeconds(1)), problems);
            resource.maxSweepDuration().ifPresent(d -> positive(rkey + ".max-sweep-duration", d, problems));
            if (resource.lookback().isNegative()) {
                problems.add(rkey + ".lookback: must not be negative, was " + resource.lookback());
            }
            checkNesting(key, name, resource, source, problems);
            resource.fetchGoneWhen().ifPresent(when -> {
                try {
                    RulePredicate.compile(when);
                } catch (IllegalArgumentException e) {
                    problems.add(rkey + ".fetch-gone-when: not a boolean CEL predicate over record (the fetched record): "
                            + e.getMessage());
                }
                if (resource.fetch().isEmpty()) {
                    problems.add(rkey + ".fetch-gone-when: reads the single-record endpoint's answer, but " + rkey
                            + ".fetch is not set");
                }
            });
            resource.webhook().ifPresent(webhook -> {
                webhook.record().ifPresent(record -> pointer(rkey + ".webhook.record", record, problems));
                webhook.id().ifPresent(id -> pointer(rkey + ".webhook.id", id, problems));
                webhook.updatedAt().ifPresent(at -> pointer(rkey + ".webhook.updated-at", at, problems));
                webhook.updatedAtHeader().filter(String::isBlank).ifPresent(blank -> problems.add(rkey
                        + ".webhook.updated-at-header: must name a header"));
                webhook.deleteWhen().ifPresent(when -> {
                    webhookPredicate(rkey + ".webhook.delete-when", when, problems);
                    if (webhook.events().orElse(List.of()).isEmpty()) {
                        problems.add(rkey + ".webhook.delete-when: decides which events of " + rkey
                                + ".webhook.events delete their record, but none is listed");
                    }
                });
                if (source.webhook().isEmpty()) {
                    problems.add(rkey + ".webhook: maps webhook events, but " + key + ".webhook (scheme and secrets) is not configured");
                }
                // A thin delivery carries only an id; without a single-record endpoint nothing could ever read its record.
                if (webhook.thin() && (source.api().isEmpty() || resource.fetch().isEmpty())) {
                    problems.add(rkey + ".webhook.thin: a thin delivery is served by reading the record, but "
                            + (source.api().isEmpty() ? key + ".api.base-url" : rkey + ".fetch") + " is not set");
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

    /**
     * A nested resource: its parent exists and is no ancestor of itself; its
     * paths name only its ancestors (and {id}, in fetch); its parent.when is a
     * CEL predicate. A top-level resource's paths name no ancestors.
     */
    private static void checkNesting(String key, String name, TidemarkConfig.Resource resource, TidemarkConfig.Source source,
            List<String> problems) {
        String rkey = key + ".resources." + name;
        List<String> variables = source.connections().flatMap(TidemarkConfig.Connections::variables).orElse(List.of());
        if (resource.parent().isEmpty()) {
            resource.list().map(TidemarkConfig.ListEndpoint::path).map(NestedIds::placeholders)
                    .map(names -> names.stream().filter(n -> !variables.contains(n)).toList()).filter(names -> !names.isEmpty())
                    .ifPresent(names -> problems.add(rkey + ".list.path: names {" + names.get(0) + "}, but the resource has no "
                            + rkey + ".parent to take it from"));
            return;
        }
        TidemarkConfig.Parent parent = resource.parent().get();
        String pkey = rkey + ".parent";
        if (!source.resources().containsKey(parent.resource())) {
            problems.add(pkey + ".resource: source has no resource '" + parent.resource() + "' (configured: "
                    + String.join(", ", new TreeSet<>(source.resources().keySet())) + ")");
            return;
        }
        List<String> chain = new ArrayList<>(List.of(name));
        Optional<TidemarkConfig.Parent> up = Optional.of(parent);
        while (up.isPresent()) {
            String ancestor = up.get().resource();
            if (chain.contains(ancestor)) {
                problems.add(pkey + ".resource: '" + name + "' would be listed under itself (" + String.join(" -> ", chain)
                        + " -> " + ancestor + ")");
                return;
            }
            if (ancestor.equals("id")) {
                problems.add(pkey + ".resource: a parent resource named 'id' cannot be told from {id} in paths; rename it");
                return;
            }
            chain.add(ancestor);
            up = Optional.ofNullable(source.resources().get(ancestor)).flatMap(TidemarkConfig.Resource::parent);
        }
        List<String> ancestors = chain.subList(1, chain.size());
        resource.list().ifPresent(list -> {
            List<String> names = NestedIds.placeholders(list.path());
            if (!names.contains(parent.resource())) {
                problems.add(rkey + ".list.path: a nested resource's path names its parent's id, {" + parent.resource()
                        + "}; was '" + list.path() + "'");
            }
            names.stream().filter(n -> !ancestors.contains(n) && !variables.contains(n)).findFirst().ifPresent(n -> problems.add(rkey + ".list.path: {" + n
                    + "} is not an ancestor of " + name + " (" + String.join(", ", ancestors) + ")"));
        });
        resource.fetch().ifPresent(fetch -> {
            List<String> names = NestedIds.placeholders(fetch);
            if (!names.contains("id")) {
                problems.add(rkey + ".fetch: the single-record path needs {id}; was '" + fetch + "'");
            }
            names.stream().filter(n -> !n.equals("id") && !ancestors.contains(n) && !variables.contains(n)).findFirst().ifPresent(n -> problems.add(rkey
                    + ".fetch: {" + n + "} is not an ancestor of " + name + " (" + String.join(", ", ancestors) + ")"));
        });
        parent.when().filter(when -> !when.isBlank()).ifPresent(when -> {
            try {
                RulePredicate.compile(when);
            } catch (IllegalArgumentException e) {
                problems.add(pkey + ".when: not a boolean CEL predicate over record (the parent): " + e.getMessage());
            }
        });
        if (resource.webhook().isPresent()) {
            // A webhook names a record by its own id; a nested record's id carries its ancestors' too, and two ids
            // for one record would make two records of it.
            problems.add(rkey + ".webhook: a nested resource is kept by polling; webhooks for it are not supported "
                    + "(their ids lack the parent's)");
        }
    }

    private static void checkWebhook(String key, TidemarkConfig.Webhook webhook, boolean receiving, List<String> problems) {
        SchemeKind.check(key, webhook, receiving, problems);
        if (webhook.tolerance().isNegative() || webhook.tolerance().isZero()) {
            problems.add(key + ".tolerance: must be positive, was " + webhook.tolerance());
        }
        pointer(key + ".event-type", webhook.eventType(), problems);
        webhook.challenge().ifPresent(challenge -> {
            webhookPredicate(key + ".challenge.when", challenge.when(), problems);
            pointer(key + ".challenge.answer", challenge.answer(), problems);
        });
    }

    private static void webhookPredicate(String key, String expression, List<String> problems) {
        try {
            DeliveryMapper.predicate(expression);
        } catch (IllegalArgumentException e) {
            problems.add(key + ": not a boolean CEL predicate over event and headers: " + e.getMessage());
        }
    }

    /** The routing of a source's connections, and the variables they fill: named well, and none a resource or {id}. */
    private static void checkConnections(String key, TidemarkConfig.Connections connections, TidemarkConfig.Source source,
            List<String> problems) {
        String ckey = key + ".connections";
        WebhookRouting.check(ckey, connections, problems);
        List<String> variables = connections.variables().orElse(List.of());
        for (int i = 0; i < variables.size(); i++) {
            String name = variables.get(i);
            if (!ConnectionVariables.NAME.matcher(name).matches()) {
                problems.add(ckey + ".variables[" + i + "]: '" + name + "' is not a variable name (a letter, then letters, digits, _ or -)");
            } else if (name.equals("id") || source.resources().containsKey(name)) {
                problems.add(ckey + ".variables[" + i + "]: '" + name + "' cannot be told from {" + name + "} of a "
                        + (name.equals("id") ? "record's id" : "parent resource") + " in paths; rename it");
            } else if (variables.indexOf(name) != i) {
                problems.add(ckey + ".variables[" + i + "]: '" + name + "' is declared twice");
            }
        }
        if (source.api().isEmpty() && source.webhook().isEmpty()) {
            problems.add(ckey + ": a source with connections needs " + key + ".webhook or " + key + ".api");
        }
    }

    /** The base URL: absolute http(s), its placeholders the source's variables, and a variable in its host under a fixed domain. */
    private static void checkBaseUrl(String key, String baseUrl, List<String> variables, List<String> problems) {
        for (String name : ConnectionVariables.placeholders(baseUrl)) {
            if (!variables.contains(name)) {
                problems.add(key + ".base-url: names {" + name + "}, which is not one of the source's connections.variables"
                        + (variables.isEmpty() ? " (it declares none)" : " (" + String.join(", ", variables) + ")"));
                return;
            }
        }
        // A variable in the host only ever names a host under a fixed domain: {shop}.example.com, never {host} alone,
        // which would let a connection send calls (and their credentials) anywhere, the cloud's metadata address included.
        String afterScheme = baseUrl.contains("://") ? baseUrl.substring(baseUrl.indexOf("://") + 3) : "";
        String authority = afterScheme.contains("/") ? afterScheme.substring(0, afterScheme.indexOf('/')) : afterScheme;
        int lastPlaceholder = authority.lastIndexOf('}');
        if (lastPlaceholder >= 0 && !authority.substring(lastPlaceholder + 1).matches("(\\.[A-Za-z0-9-]+){2,}(:\\d+)?")) {
            problems.add(key + ".base-url: a variable in the host must be followed by a fixed domain of two labels or more, "
                    + "as {shop}.example.com; was '" + baseUrl + "'");
            return;
        }
        // Checked as a connection would fill it: with a value of the kind a variable may take.
        Map<String, String> sample = new HashMap<>();
        variables.forEach(name -> sample.put(name, "x"));
        try {
            URI base = URI.create(ConnectionVariables.fill(baseUrl, sample));
            if (!("http".equals(base.getScheme()) || "https".equals(base.getScheme())) || base.getHost() == null) {
                problems.add(key + ".base-url: must be an absolute http(s) URL, was '" + baseUrl + "'");
            }
        } catch (IllegalArgumentException e) {
            problems.add(key + ".base-url: not a URL: '" + baseUrl + "'");
        }
    }

    private static void checkApi(String key, TidemarkConfig.ProviderApi api, List<String> variables, boolean polling,
            List<String> problems) {
        checkBaseUrl(key, api.baseUrl(), variables, problems);
        List<String> origins = api.allowedOrigins().orElse(List.of());
        for (int i = 0; i < origins.size(); i++) {
            String origin = origins.get(i);
            try {
                URI uri = URI.create(origin);
                boolean bare = (uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))
                        && uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawUserInfo() == null;
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null || !bare) {
                    problems.add(key + ".allowed-origins[" + i + "]: must be an origin such as https://cdn.example.com "
                            + "(scheme, host and optional port, nothing else), was '" + origin + "'");
                }
            } catch (IllegalArgumentException e) {
                problems.add(key + ".allowed-origins[" + i + "]: not a URL: '" + origin + "'");
            }
        }
        api.auth().ifPresent(auth -> ProviderAuth.check(key + ".auth", auth, polling, problems));
        api.rateLimit().ifPresent(limit -> {
            if (!(limit.requestsPerSecond() > 0)) {
                problems.add(key + ".rate-limit.requests-per-second: must be positive, was " + limit.requestsPerSecond());
            }
            limit.burst().filter(b -> b < 1).ifPresent(b -> problems.add(key + ".rate-limit.burst: must be at least 1, was " + b));
            limit.maxConcurrency().filter(c -> c < 1)
                    .ifPresent(c -> problems.add(key + ".rate-limit.max-concurrency: must be at least 1, was " + c));
        });
    }

    private static void checkList(String key, TidemarkConfig.ListEndpoint list, List<String> problems) {
        list.items().filter(items -> !items.isEmpty()).ifPresent(items -> pointer(key + ".items", items, problems));
        if (list.pageSize() < 1) {
            problems.add(key + ".page-size: must be at least 1, was " + list.pageSize());
        }
        TidemarkConfig.Pagination pagination = list.pagination();
        PaginationKind.check(key + ".pagination", pagination, problems);
        list.updatedSince().flatMap(since -> ConfigKind.unknown(key + ".updated-since.format", SinceFormat.class, since.format()))
                .ifPresent(problems::add);
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
        ConfigKind.unknown(key + ".edge", Edge.class, rule.edge()).ifPresent(problems::add);
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
        JsonPointers.problem(key, value).ifPresent(problems::add);
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
