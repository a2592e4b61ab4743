package dev.tidemark.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.TenantProvider;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The local run's demo provider: the poller's provider simulator serving an
 * API of orders, and a script that changes them and posts signed webhooks to
 * Tidemark's "demo" source the way real providers do — one late, one twice,
 * two out of order, and one never — then a new order now and then. The order
 * whose webhook never came reaches Tidemark through the poller.
 */
public final class DemoProvider implements AutoCloseable {

    public static final String SECRET = "demo-secret";
    /** The "customers" source's webhook secret (application.yaml, %dev). */
    public static final String CUSTOMERS_SECRET = "customers-secret";
    /** The two customer accounts the demo's second API serves, each answering only its own token. */
    public static final String ACME_TOKEN = "acme-token";
    public static final String GLOBEX_TOKEN = "globex-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProviderSimulator provider;
    private final TenantProvider accounts;
    private final URI tidemark;
    private final String apiToken;
    private final URI webhooks;
    private final URI ready;
    private final Duration pace;
    private final PrintStream log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread script;
    private volatile boolean stopped;

    private DemoProvider(int port, int accountsPort, URI tidemark, String apiToken, URI ready, Duration pace, PrintStream log) {
        this.provider = new ProviderSimulator(port);
        this.accounts = new TenantProvider(accountsPort);
        this.tidemark = tidemark;
        this.apiToken = apiToken;
        this.webhooks = tidemark.resolve("/webhooks/demo");
        this.ready = ready;
        this.pace = pace;
        this.log = log;
        this.script = new Thread(this::run, "demo-provider");
        this.script.setDaemon(true);
    }

    /**
     * Serves the API on {@code port} and the customer accounts' API on {@code accountsPort} and, once Tidemark at
     * {@code tidemark} is ready (its readiness at {@code ready}, on the management interface), plays the script a
     * step every {@code pace}; it creates the first customer's connection with {@code apiToken}.
     */
    public static DemoProvider start(int port, int accountsPort, URI tidemark, String apiToken, URI ready, Duration pace,
            PrintStream log) {
        DemoProvider demo = new DemoProvider(port, accountsPort, tidemark, apiToken, ready, pace, log);
        demo.script.start();
        return demo;
    }

    public String baseUrl() {
        return provider.baseUrl();
    }

    @Override
    public void close() {
        stopped = true;
        script.interrupt();
        try {
            script.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        provider.close();
        accounts.close();
    }

    private void run() {
        try {
            log.printf("demo: the provider's API is at %s; waiting for Tidemark at %s%n", provider.baseUrl(), ready);
            Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            accounts.tenant("acme", ACME_TOKEN);
            accounts.tenant("globex", GLOBEX_TOKEN);
            accounts.put("acme", "A-100", t.minusSeconds(60), Map.of("customer", "acme", "amount", 800));
            accounts.put("acme", "A-101", t.minusSeconds(50), Map.of("customer", "acme", "amount", 12_500));
            accounts.put("globex", "G-200", t.minusSeconds(40), Map.of("customer", "globex", "amount", 3_000));
            accounts.put("globex", "G-201", t.minusSeconds(30), Map.of("customer", "globex", "amount", 25_000));
            while (!stopped && !isReady()) {
                Thread.sleep(1000);
            }
            step("customers: two accounts, acme and globex, each with its own orders and token, at http://127.0.0.1:"
                    + accounts.port() + "/t/{account}");
            log.printf("demo:   acme's connection is created through the API -> %d (globex's is yours to create)%n",
                    createConnection("acme", ACME_TOKEN));
            step("order-1001 is created (amount 500)");
            send(change("order-1001", t, 500));
            step("order-1001 goes to 12,000 (crosses the demo rule's 10,000)");
            send(change("order-1001", t.plusSeconds(1), 12_000));
            step("the provider sends that webhook twice: the second is a duplicate");
            send(change("order-1001", t.plusSeconds(1), 12_000));
            step("and the first version arrives late: stale, dropped");
            send(provider("order-1001", t, 500));
            step("order-1002 is created (amount 2,000)");
            send(change("order-1002", t.plusSeconds(2), 2_000));
            step("order-1002 goes to 15,000, but its webhook is never sent: the poller will find it (within 20 s)");
            change("order-1002", t.plusSeconds(3), 15_000);
            step("order-1003 goes 9,000 then 11,000; the webhooks arrive out of order");
            ObjectNode first = change("order-1003", t.plusSeconds(4), 9_000);
            send(change("order-1003", t.plusSeconds(5), 11_000));
            send(first);
            step("from now on, a new order every " + pace.multipliedBy(15).toSeconds() + " s");
            for (int n = 1004; !stopped; n++) {
                Thread.sleep(pace.multipliedBy(15).toMillis());
                long amount = ThreadLocalRandom.current().nextLong(1, 200) * 100;
                log.printf("demo: order-%d is created (amount %,d)%n", n, amount);
                Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                send(change("order-" + n, now, amount));
                if (n % 2 == 0) {
                    // The customers' shops sell too: acme tells by webhook, globex only through its API.
                    accounts.put("acme", "A-" + n, now, Map.of("customer", "acme", "amount", amount));
                    ObjectNode body = provider("A-" + n, now, amount);
                    ((ObjectNode) body.get("data")).put("customer", "acme");
                    send(body, tidemark.resolve("/webhooks/customers/acme"), CUSTOMERS_SECRET);
                    accounts.put("globex", "G-" + n, now, Map.of("customer", "globex", "amount", amount * 3));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!stopped) {
                log.printf("demo: stopped: %s%n", e);
            }
        }
    }

    private void step(String what) throws InterruptedException {
        Thread.sleep(pace.toMillis());
        log.println("demo: " + what);
    }

    /** The order as the provider now holds it, and the webhook body that tells of it. */
    private ObjectNode change(String id, Instant updatedAt, long amount) {
        provider.put(id, updatedAt, amount);
        return provider(id, updatedAt, amount);
    }

    /** A webhook body for a version of an order, whether or not the provider still holds it. */
    private static ObjectNode provider(String id, Instant updatedAt, long amount) {
        ObjectNode data = JSON.createObjectNode().put("id", id).put("updated_at", updatedAt.toString()).put("amount", amount);
        ObjectNode body = JSON.createObjectNode().put("type", "order.updated");
        body.set("data", data);
        return body;
    }

    private void send(ObjectNode body) throws Exception {
        send(body, webhooks, SECRET);
    }

    private void send(ObjectNode body, URI webhooks, String secret) throws Exception {
        String text = body.toString();
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = "sha256=" + HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(webhooks).header("Content-Type", "application/json")
                .header("X-Signature", signature).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(text)).build(), HttpResponse.BodyHandlers.ofString());
        log.printf("demo:   webhook %s %s at %s -> %d%n", body.path("data").path("id").asText(),
                body.path("data").path("amount").asLong(), body.path("data").path("updated_at").asText(), answer.statusCode());
    }

    /** Creates a customer's connection of the "customers" source; the answer's status (201, or 409 after a restart). */
    private int createConnection(String account, String token) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("id", account);
        body.putObject("credentials").put("token", token);
        body.putObject("variables").put("account", account);
        body.putObject("metadata").put("plan", "demo");
        return http.send(HttpRequest.newBuilder(tidemark.resolve("/api/sources/customers/connections"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + apiToken)
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private boolean isReady() {
        try {
            return http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }
}
