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
 * next port for the controller).
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
