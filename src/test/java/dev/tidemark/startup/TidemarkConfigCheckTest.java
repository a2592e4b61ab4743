package dev.tidemark.startup;

import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.config.Roles;
import dev.tidemark.config.ConfigFixtures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Each configuration mistake stops start-up with a message that names the key to fix. */
class TidemarkConfigCheckTest {

    /** Every capability docs/configuration.md names, in one source. */
    static final String VALID = """
            tidemark:
              sources:
                billing:
                  webhook:
                    scheme: hmac
                    secrets: [whsec_one, whsec_two]
                    tolerance: 10m
                    hmac: {header: X-Sig, algorithm: sha512, encoding: base64, timestamp-header: X-Ts, signed-content: "{timestamp}.{body}"}
                  api:
                    base-url: https://api.billing.example
                    auth: {type: oauth2-client-credentials, token-url: https://auth.example/token, client-id: id, client-secret: secret}
                    rate-limit: {requests-per-second: 10, burst: 20}
                  resources:
                    subscriptions:
                      id: /id
                      updated-at: /updated_at
                      webhook: {events: [subscription.updated], delete-events: [subscription.deleted], record: /data/object}
                      list: {path: /v1/subscriptions, items: /data, pagination: {type: cursor}}
                      fetch: /v1/subscriptions/{id}
                      schedule: 5m
                      reconcile: 24h
              rules:
                subscription-over-10k:
                  source: billing
                  resource: subscriptions
                  when: "record.amount >= 10000"
                  event-type: billing.subscription.crossed-10k
            """;

    @Test
    void theSpecShapedConfigurationBindsAndPasses() {
        TidemarkConfig config = ConfigFixtures.load(VALID);
        assertThat(TidemarkConfigCheck.problems(config)).isEmpty();
        var subscriptions = config.sources().get("billing").resources().get("subscriptions");
        assertThat(subscriptions.schedule()).contains(Duration.ofMinutes(5));
        assertThat(subscriptions.reconcile()).contains(Duration.ofHours(24));
        assertThat(config.sources().get("billing").webhook().get().secrets().get()).containsExactly("whsec_one", "whsec_two");
        assertThat(config.rules().get("subscription-over-10k").edge()).isEqualTo("rising");
        assertThat(config.receiver().maxBodySize().asLongValue()).isEqualTo(1024 * 1024);
        assertThat(config.receiver().ackTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    static String problemsOf(String yaml) {
        return String.join("\n", TidemarkConfigCheck.problems(ConfigFixtures.load(yaml)));
    }

    @Test
    void anUnknownSignatureScheme() {
        assertThat(problemsOf(VALID.replace("scheme: hmac", "scheme: carrier-pigeon")))
                .contains("tidemark.sources.billing.webhook.scheme: unknown signature scheme 'carrier-pigeon' (known: github, hmac, shopify, slack, standard-webhooks, stripe)");
    }

    @Test
    void aWebhookWithoutASecret() {
        assertThat(problemsOf(VALID.replaceAll("(?m)^\\s*secrets:.*\\n", "")))
                .contains("tidemark.sources.billing.webhook.secrets: a source that receives webhooks needs at least one non-empty secret");
        assertThat(problemsOf(VALID.replace("secrets: [whsec_one, whsec_two]", "secrets: [\" \"]")))
                .contains("tidemark.sources.billing.webhook.secrets");
    }

    @Test
    void aStandardWebhooksSecretThatIsNotBase64() {
        String problems = problemsOf(VALID.replace("scheme: hmac", "scheme: standard-webhooks")
                .replace("secrets: [whsec_one, whsec_two]", "secrets: [\"whsec_not base64!\"]"));
        assertThat(problems).contains("tidemark.sources.billing.webhook.secrets: a standard-webhooks secret must be whsec_ followed by base64")
                .doesNotContain("not base64!");
    }

    @Test
    void aBadDurationNamesItsKey() {
        assertThatThrownBy(() -> ConfigFixtures.load(VALID.replace("schedule: 5m", "schedule: every-five-minutes")))
                .hasMessageContaining("tidemark.sources.billing.resources.subscriptions.schedule")
                .hasMessageContaining("every-five-minutes");
        assertThatThrownBy(() -> ConfigFixtures.load(VALID.replace("tolerance: 10m", "tolerance: 10 parsecs")))
                .hasMessageContaining("tidemark.sources.billing.webhook.tolerance");
    }

    @Test
    void aRuleNamingAnUnknownResourceOrSource() {
        assertThat(problemsOf(VALID.replace("resource: subscriptions", "resource: invoices")))
                .contains("tidemark.rules.subscription-over-10k.resource: source 'billing' has no resource 'invoices' (configured: subscriptions)");
        assertThat(problemsOf(VALID.replace("source: billing", "source: crm")))
                .contains("tidemark.rules.subscription-over-10k.source: unknown source 'crm' (configured: billing)");
    }

    @Test
    void aMalformedJsonPointer() {
        assertThat(problemsOf(VALID.replace("record: /data/object", "record: data.object")))
                .contains("tidemark.sources.billing.resources.subscriptions.webhook.record: 'data.object' is not a JSON pointer: must be empty or start with '/'");
        assertThat(problemsOf(VALID.replace("id: /id", "id: /a~2b")))
                .contains("tidemark.sources.billing.resources.subscriptions.id: '/a~2b' is not a JSON pointer: '~' must be followed by 0 or 1 (RFC 6901)");
        assertThat(problemsOf(VALID.replace("items: /data", "items: data")))
                .contains("tidemark.sources.billing.resources.subscriptions.list.items");
    }

    @Test
    void pollingMistakesNameTheirKeys() {
        String base = "tidemark.sources.billing";
        assertThat(problemsOf(VALID.replace("pagination: {type: cursor}", "pagination: {type: scroll}")))
                .contains(base + ".resources.subscriptions.list.pagination.type: 'scroll' is not one of cursor, last-item, link-header, next-url, offset, page");
        assertThat(problemsOf(VALID.replace("pagination: {type: cursor}", "pagination: {type: last-item, has-more-path: has_more}")))
                .contains(base + ".resources.subscriptions.list.pagination.has-more-path: ");
        assertThat(problemsOf(VALID.replace("fetch: /v1/subscriptions/{id}", "fetch: /v1/subscriptions/{id}\n          fetch-gone-when: \"record.deleted +\"")))
                .contains(base + ".resources.subscriptions.fetch-gone-when: not a boolean CEL predicate over record");
        assertThat(problemsOf(VALID.replace("fetch: /v1/subscriptions/{id}", "fetch-gone-when: \"record.deleted == true\"")))
                .contains(base + ".resources.subscriptions.fetch-gone-when: reads the single-record endpoint's answer, but "
                        + base + ".resources.subscriptions.fetch is not set");
        assertThat(problemsOf(VALID.replace("base-url: https://api.billing.example", "base-url: api.billing.example")))
                .contains(base + ".api.base-url: must be an absolute http(s) URL, was 'api.billing.example'");
        assertThat(problemsOf(VALID.replace("token-url: https://auth.example/token, ", "")))
                .contains(base + ".api.auth.token-url: OAuth2 needs the token endpoint's http(s) URL");
        assertThat(problemsOf(VALID.replace("type: oauth2-client-credentials", "type: oauth2-refresh-token")))
                .contains(base + ".api.auth.refresh-token: auth type oauth2-refresh-token needs the refresh token it starts from");
        assertThat(problemsOf(VALID.replace("type: oauth2-client-credentials", "type: kerberos")))
                .contains(base + ".api.auth.type: 'kerberos' is not one of");
        assertThat(problemsOf(VALID.replace("requests-per-second: 10", "requests-per-second: 0")))
                .contains(base + ".api.rate-limit.requests-per-second: must be positive, was 0.0");
        assertThat(problemsOf(VALID.replaceAll("(?s)      api:.*?burst: 20}\n", "")))
                .contains(base + ".resources.subscriptions.list: polls a list endpoint, but " + base + ".api (base-url) is not configured");
        assertThat(problemsOf(VALID.replace("list: {path: /v1/subscriptions, items: /data, pagination: {type: cursor}}",
                "list: {path: /v1/subscriptions, updated-since: {param: since}, pagination: {type: cursor}}\n"
                        + "          change-detection: hash")))
                .contains(base + ".resources.subscriptions.list.updated-since: a resource with change-detection: hash has no updated_at");
        assertThat(problemsOf(VALID.replaceAll("(?m)^\\s*list:.*\\n", "")))
                .contains(base + ".resources.subscriptions.schedule: polls on a schedule, but " + base + ".resources.subscriptions.list is not configured");
    }

    /** VALID with a nested resource under subscriptions: its items, listed per subscription. */
    static final String NESTED = VALID.replace("  rules:\n", ""
            + "        items:\n"
            + "          parent: {resource: subscriptions, when: \"record.status == 'active'\"}\n"
            + "          list: {path: \"/v1/subscriptions/{subscriptions}/items\", items: /data, pagination: {type: cursor}}\n"
            + "          fetch: \"/v1/subscriptions/{subscriptions}/items/{id}\"\n"
            + "  rules:\n");

    @Test
    void nestingMistakesNameTheirKeys() {
        String items = "tidemark.sources.billing.resources.items";
        assertThat(TidemarkConfigCheck.problems(ConfigFixtures.load(NESTED))).isEmpty();
        assertThat(problemsOf(NESTED.replace("resource: subscriptions, when", "resource: invoices, when")))
                .contains(items + ".parent.resource: source has no resource 'invoices' (configured: items, subscriptions)");
        assertThat(problemsOf(NESTED.replace("resource: subscriptions, when", "resource: items, when")))
                .contains(items + ".parent.resource: 'items' would be listed under itself (items -> items)");
        assertThat(problemsOf(NESTED.replace("/v1/subscriptions/{subscriptions}/items\", items", "/v1/items\", items")))
                .contains(items + ".list.path: a nested resource's path names its parent's id, {subscriptions}; was '/v1/items'");
        assertThat(problemsOf(NESTED.replace("/v1/subscriptions/{subscriptions}/items\", items", "/v1/{customers}/{subscriptions}/items\", items")))
                .contains(items + ".list.path: {customers} is not an ancestor of items (subscriptions)");
        assertThat(problemsOf(NESTED.replace("/items/{id}\"", "/items\"")))
                .contains(items + ".fetch: the single-record path needs {id}");
        assertThat(problemsOf(NESTED.replace("record.status == 'active'", "record.status = 'active'")))
                .contains(items + ".parent.when: not a boolean CEL predicate over record (the parent): ");
        assertThat(problemsOf(NESTED.replace("  list: {path: \"/v1/subscriptions/{subscriptions}/items\"",
                "  webhook: {events: [item.updated]}\n          list: {path: \"/v1/subscriptions/{subscriptions}/items\"")))
                .contains(items + ".webhook: a nested resource is kept by polling; webhooks for it are not supported");
        assertThat(problemsOf(VALID.replace("path: /v1/subscriptions,", "path: \"/v1/{accounts}/subscriptions\",")))
                .contains("tidemark.sources.billing.resources.subscriptions.list.path: names {accounts}, but the resource has no "
                        + "tidemark.sources.billing.resources.subscriptions.parent to take it from");
    }

    @Test
    void aRuleThatIsNotABooleanCelPredicateIsNamed() {
        assertThat(problemsOf(VALID.replace("record.amount >= 10000", "record.amount >=")))
                .contains("tidemark.rules.subscription-over-10k.when: not a boolean CEL predicate over record: ")
                .contains("mismatched input");
        assertThat(problemsOf(VALID.replace("record.amount >= 10000", "record.amount * 2")))
                .contains("tidemark.rules.subscription-over-10k.when: not a boolean CEL predicate over record: ");
        assertThat(problemsOf(VALID.replace("record.amount >= 10000", "amount >= 10000")))
                .contains("tidemark.rules.subscription-over-10k.when: not a boolean CEL predicate over record: ")
                .contains("amount");
    }

    @Test
    void otherValuesOutsideTheirSet() {
        assertThat(problemsOf(VALID.replace("algorithm: sha512", "algorithm: md5")))
                .contains("tidemark.sources.billing.webhook.hmac.algorithm: 'md5' is not one of sha256, sha512");
        assertThat(problemsOf(VALID.replace("encoding: base64", "encoding: rot13")))
                .contains("tidemark.sources.billing.webhook.hmac.encoding: 'rot13' is not one of base64, hex");
        assertThat(problemsOf(VALID.replace("event-type: billing", "edge: sideways\n      event-type: billing")))
                .contains("tidemark.rules.subscription-over-10k.edge: 'sideways' is not one of falling, rising");
        assertThat(problemsOf(VALID.replace(", timestamp-header: X-Ts", "")))
                .contains("tidemark.sources.billing.webhook.hmac.signed-content: uses {timestamp}, but tidemark.sources.billing.webhook.hmac.timestamp-header is not set");
        // The reverse: a time the signature does not cover could be replaced on a replayed delivery.
        assertThat(problemsOf(VALID.replace(", signed-content: \"{timestamp}.{body}\"", "")))
                .contains("tidemark.sources.billing.webhook.hmac.timestamp-header: is set, but tidemark.sources.billing.webhook.hmac.signed-content does not sign it");
    }

    @Test
    void anEventTypeFeedsOneResource() {
        String twice = VALID.replace("          reconcile: 24h\n",
                "          reconcile: 24h\n        invoices:\n          webhook: {events: [subscription.updated]}\n");
        assertThat(problemsOf(twice)).contains("event type 'subscription.updated' is already mapped by");
    }

    @Test
    void anUnknownRole() {
        assertThat(problemsOf(VALID.replace("tidemark:\n", "tidemark:\n  roles: receiver,janitor\n")))
                .contains("tidemark.roles: unknown role 'janitor' (known: receiver, processor, poller, relay)");
        assertThat(Roles.parse(" receiver , processor ")).containsExactlyInAnyOrder(Roles.RECEIVER, Roles.PROCESSOR);
        assertThat(Roles.parse(null)).containsExactlyInAnyOrder(Roles.values());
    }

    @Test
    void anUnknownKeyIsNamed() {
        assertThatThrownBy(() -> ConfigFixtures.load(VALID.replace("fetch:", "fetch-one:")))
                .hasMessageContaining("tidemark.sources.billing.resources.subscriptions.fetch-one");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String broken = VALID.replace("scheme: hmac", "scheme: nope").replace("resource: subscriptions", "resource: nope");
        assertThatThrownBy(() -> TidemarkConfigCheck.require(ConfigFixtures.load(broken)))
                .hasMessageStartingWith("Invalid Tidemark configuration:")
                .hasMessageContaining("tidemark.sources.billing.webhook.scheme")
                .hasMessageContaining("tidemark.rules.subscription-over-10k.resource");
    }

    static final String CONNECTIONS = """
            tidemark:
              sources:
                crm:
                  connections: {routing: pointer, routing-pointer: /account, variables: [tenant]}
                  api:
                    base-url: https://{tenant}.crm.example/api
                    auth: {type: bearer}
                  resources:
                    contacts:
                      list: {path: /contacts, items: /data, pagination: {type: cursor}}
                      schedule: 5m
            """;

    @Test
    void aSourceWithConnectionsNeedsNoCredentialsOfItsOwnAndItsVariablesStayInTheirPlace() {
        assertThat(problemsOf(CONNECTIONS)).isEmpty();
        String crm = "tidemark.sources.crm";
        assertThat(problemsOf(CONNECTIONS.replace("https://{tenant}.crm.example/api", "https://{tenant}/api")))
                .contains(crm + ".api.base-url: a variable in the host must be followed by a fixed domain");
        assertThat(problemsOf(CONNECTIONS.replace("https://{tenant}.crm.example/api", "https://api.{tenant}/v1")))
                .contains(crm + ".api.base-url: a variable in the host");
        assertThat(problemsOf(CONNECTIONS.replace("https://{tenant}.crm.example/api", "https://{region}.crm.example/api")))
                .contains(crm + ".api.base-url: names {region}, which is not one of the source's connections.variables");
        assertThat(problemsOf(CONNECTIONS.replace("variables: [tenant]", "variables: [tenant, contacts]")))
                .contains(crm + ".connections.variables[1]: 'contacts' cannot be told from {contacts}");
        assertThat(problemsOf(CONNECTIONS.replace("routing: pointer, routing-pointer: /account", "routing: pointer")))
                .contains(crm + ".connections.routing-pointer: routing by pointer needs the JSON pointer");
        assertThat(problemsOf(CONNECTIONS.replace("routing: pointer, routing-pointer: /account", "routing: carrier-pigeon")))
                .contains(crm + ".connections.routing: 'carrier-pigeon' is not one of header, pointer, url");
        // The same source without connections must name a real host and, to poll, its own token.
        assertThat(problemsOf(CONNECTIONS.replace("connections: {routing: pointer, routing-pointer: /account, variables: [tenant]}", "")))
                .contains(crm + ".api.base-url: names {tenant}, which is not one of the source's connections.variables (it declares none)")
                .contains(crm + ".api.auth.token: auth type bearer needs a token");
    }
}
