package dev.tidemark.support;

import dev.tidemark.local.FreePorts;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Starts the provider simulator for the test run and points the "sim" source at it. */
public class ProviderSimulatorResource implements QuarkusTestResourceLifecycleManager {

    private static volatile ProviderSimulator simulator;
    private static volatile TenantProvider tenants;
    private static volatile StripeApi stripe;
    private static volatile SlackApi slack;
    private static volatile ShopifyApi shopify;
    private static volatile HubspotApi hubspot;
    private static volatile ZendeskApi zendesk;
    private static volatile GithubApi github;

    /** GitHub's REST API as the github template reads a repository's issues, for the "ghtemplate" source (repo o/r). */
    public static GithubApi github() {
        return github;
    }

    /** Zendesk's Support API as the zendesk template reads users with it, for the "zendesktemplate" source. */
    public static ZendeskApi zendesk() {
        return zendesk;
    }

    /** HubSpot's CRM API as the hubspot template reads it, for the "hubspottemplate" source. */
    public static HubspotApi hubspot() {
        return hubspot;
    }

    /** Shopify's REST Admin API as the shopify template reads it, for the "shopifytemplate" source. */
    public static ShopifyApi shopify() {
        return shopify;
    }

    /** Slack's Web API as the slack template reads it, for the "slacktemplate" source. */
    public static SlackApi slack() {
        return slack;
    }

    /** Stripe's API as the stripe template reads it, for the "stripetemplate" source. */
    public static StripeApi stripe() {
        return stripe;
    }

    /** The provider of many accounts that the "accounts" source (connections) calls. */
    public static TenantProvider tenants() {
        return tenants;
    }

    public static ProviderSimulator simulator() {
        return simulator;
    }

    /** The simulator with no data, knobs or counters left from an earlier test. */
    public static ProviderSimulator fresh() {
        simulator.reset();
        simulator.clear();
        return simulator;
    }

    @Override
    public Map<String, String> start() {
        simulator = new ProviderSimulator(FreePorts.next());
        tenants = new TenantProvider(FreePorts.next());
        stripe = new StripeApi(FreePorts.next(), "sk_test_tidemark");
        slack = new SlackApi(FreePorts.next(), "xoxb-tidemark");
        shopify = new ShopifyApi(FreePorts.next(), "shpat_tidemark");
        hubspot = new HubspotApi(FreePorts.next(), "pat-na1-tidemark");
        zendesk = new ZendeskApi(FreePorts.next(), "agent@acme.com", "zd-tidemark");
        github = new GithubApi(FreePorts.next(), "test-token");
        return Map.ofEntries(Map.entry("tidemark.sources.stripetemplate.api.base-url", stripe.baseUrl()),
                Map.entry("tidemark.sources.slacktemplate.api.base-url", slack.baseUrl()),
                Map.entry("tidemark.sources.shopifytemplate.api.base-url", shopify.baseUrl()),
                Map.entry("tidemark.sources.hubspottemplate.api.base-url", hubspot.baseUrl()),
                Map.entry("tidemark.sources.zendesktemplate.api.base-url", zendesk.baseUrl()),
                Map.entry("tidemark.sources.ghtemplate.api.base-url", github.root() + "/repos/o/r"),Map.entry("tidemark.sources.accounts.api.base-url", tenants.baseUrl()),
                Map.entry("tidemark.sources.oauthaccounts.api.base-url", tenants.baseUrl()),
                Map.entry("tidemark.sources.ccaccounts.api.base-url", tenants.baseUrl()),
                Map.entry("tidemark.sources.ccaccounts.api.auth.token-url", "http://127.0.0.1:" + tenants.port() + "/oauth/token"),
                Map.entry("tidemark.sources.oauthaccounts.api.auth.token-url", "http://127.0.0.1:" + tenants.port() + "/oauth/token"),
                Map.entry("tidemark.sources.sim.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simnest.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simfragile.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simquota.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simoauth.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simoauth.api.auth.token-url", simulator.baseUrl() + "/oauth/token"),
                Map.entry("tidemark.sources.simrefresh.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simrefresh.api.auth.token-url", simulator.baseUrl() + "/oauth/token"),
                Map.entry("tidemark.sources.simhostile.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simrotate.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simrotate.api.auth.token-url", simulator.baseUrl() + "/oauth/token"),
                Map.entry("tidemark.sources.simreplicas.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simreplicas.api.auth.token-url", simulator.baseUrl() + "/oauth/token"),
                Map.entry("tidemark.sources.simtoken.api.base-url", simulator.baseUrl()),
                Map.entry("tidemark.sources.simtoken.api.auth.token-url", simulator.baseUrl() + "/oauth/token"),
                Map.entry("tidemark.sources.simallowed.api.base-url", simulator.baseUrl()),
                // The same server under another host name: another origin, which this source allows.
                Map.entry("tidemark.sources.simallowed.api.allowed-origins", simulator.baseUrl().replace("127.0.0.1", "localhost")));
    }

    @Override
    public void stop() {
        if (simulator != null) {
            simulator.close();
        }
        if (tenants != null) {
            tenants.close();
        }
        if (stripe != null) {
            stripe.close();
        }
        if (slack != null) {
            slack.close();
        }
        if (shopify != null) {
            shopify.close();
        }
        if (hubspot != null) {
            hubspot.close();
        }
        if (zendesk != null) {
            zendesk.close();
        }
        if (github != null) {
            github.close();
        }
    }
}
