package dev.tidemark.local;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The servers of a local run (deploy/local/run.sh): PostgreSQL and Kafka with
 * their data kept under one directory, so a restart finds what the last run
 * stored. Runs in its own JVM beside Quarkus dev mode, because dev mode cannot
 * see test-scoped classes, and exits when the launching script does.
 *
 * <p>Usage: {@code LocalServers <state-dir> [parent-pid]}; ports come from
 * TIDEMARK_LOCAL_PG_PORT (55432) and TIDEMARK_LOCAL_KAFKA_PORT (59092, and the
 * next port for the controller). Unless TIDEMARK_DEMO=off it also starts the
 * {@link DemoProvider} on TIDEMARK_LOCAL_DEMO_PORT (58080), posting webhooks
 * to TIDEMARK_DEMO_TARGET (http://localhost:8080).
 */
public final class LocalServers {

    private LocalServers() {
    }

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args.length > 0 ? args[0] : ".tidemark").toAbsolutePath();
        Optional<ProcessHandle> parent = args.length > 1 ? ProcessHandle.of(Long.parseLong(args[1])) : Optional.empty();
        int pgPort = port("TIDEMARK_LOCAL_PG_PORT", 55432);
        int kafkaPort = port("TIDEMARK_LOCAL_KAFKA_PORT", 59092);
        requireFree(pgPort, "TIDEMARK_LOCAL_PG_PORT");
        requireFree(kafkaPort, "TIDEMARK_LOCAL_KAFKA_PORT");
        requireFree(kafkaPort + 1, "TIDEMARK_LOCAL_KAFKA_PORT (+1, the controller)");
        Files.createDirectories(state);
        Path ready = state.resolve("ready");
        Files.deleteIfExists(ready);

        long started = System.nanoTime();
        LocalPostgres postgres = LocalPostgres.start(state.resolve("postgres"), pgPort, true);
        LocalKafka kafka = LocalKafka.start(state.resolve("kafka"), kafkaPort, kafkaPort + 1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping the local Kafka and PostgreSQL...");
            kafka.close();
            postgres.close();
            try {
                Files.deleteIfExists(ready);
            } catch (IOException ignored) {
                // The next run deletes it too.
            }
            System.out.println("Stopped.");
        }, "local-servers-stop"));

        System.out.printf("PostgreSQL %s and Kafka %s ready in %.1f s (data in %s)%n", postgres.reactiveUrl(),
                kafka.bootstrapServers(), (System.nanoTime() - started) / 1e9, state);
        if (!"off".equalsIgnoreCase(System.getenv().getOrDefault("TIDEMARK_DEMO", "on"))) {
            int demoPort = port("TIDEMARK_LOCAL_DEMO_PORT", 58080);
            requireFree(demoPort, "TIDEMARK_LOCAL_DEMO_PORT");
            int accountsPort = port("TIDEMARK_LOCAL_ACCOUNTS_PORT", 58081);
            requireFree(accountsPort, "TIDEMARK_LOCAL_ACCOUNTS_PORT");
            java.io.PrintStream demoLog = new java.io.PrintStream(Files.newOutputStream(state.resolve("demo.log")), true,
                    java.nio.charset.StandardCharsets.UTF_8);
            DemoProvider.start(demoPort, accountsPort,
                    java.net.URI.create(System.getenv().getOrDefault("TIDEMARK_DEMO_TARGET", "http://localhost:8080")),
                    System.getenv().getOrDefault("TIDEMARK_DEMO_API_TOKEN", "dev-token"),
                    java.net.URI.create(System.getenv().getOrDefault("TIDEMARK_DEMO_READY", "http://localhost:9000/q/health/ready")),
                    java.time.Duration.ofSeconds(1), demoLog);
            System.out.printf("Demo provider on http://localhost:%d, its customer accounts on http://localhost:%d (its story in %s)%n",
                    demoPort, accountsPort, state.resolve("demo.log"));
        }
        Files.writeString(ready, "postgres=" + postgres.reactiveUrl() + "\nkafka=" + kafka.bootstrapServers() + "\n");

        while (parent.map(ProcessHandle::isAlive).orElse(true)) {
            Thread.sleep(500);
        }
        System.out.println("The launching script is gone; stopping.");
        System.exit(0);
    }

    private static int port(String variable, int fallback) {
        String value = System.getenv(variable);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }

    private static void requireFree(int port, String variable) {
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
        } catch (IOException e) {
            System.err.printf("Port %d is in use (another local run?). Stop it, or choose another port with %s.%n", port, variable);
            System.exit(2);
        }
    }
}
