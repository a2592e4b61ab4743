package dev.tidemark.local;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts a real PostgreSQL and a real Kafka broker on free ports in a fresh
 * temporary directory for the test run, and points Quarkus at them.
 */
public class LocalInfraResource implements QuarkusTestResourceLifecycleManager {

    private Path directory;
    private static volatile LocalPostgres postgres;
    private static volatile LocalKafka kafka;

    /** The running broker, for tests that take it away and bring it back. */
    public static LocalKafka kafka() {
        return kafka;
    }

    /** Stops the broker; {@link #startKafkaAgain()} brings it back with its data. */
    public static void stopKafka() {
        kafka.close();
    }

    public static void startKafkaAgain() {
        kafka = LocalKafka.start(kafka.logDirectory(), kafka.port(), kafka.controllerPort());
    }

    /** Stops PostgreSQL (a clean shutdown); {@link #startPostgresAgain()} brings it back on the same port with its data. */
    public static void stopPostgres() {
        postgres.close();
    }

    public static void startPostgresAgain() {
        postgres = LocalPostgres.start(postgres.dataDirectory(), postgres.port(), true);
    }

    @Override
    public Map<String, String> start() {
        try {
            directory = Files.createTempDirectory("tidemark-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        postgres = LocalPostgres.start(directory.resolve("pg"), FreePorts.next(), false);
        kafka = LocalKafka.start(directory.resolve("kafka"), FreePorts.next(), FreePorts.next());
        return Map.of(
                "quarkus.datasource.reactive.url", postgres.reactiveUrl(),
                "quarkus.datasource.jdbc.url", postgres.jdbcUrl(),
                "quarkus.datasource.username", LocalPostgres.USER,
                "quarkus.datasource.password", LocalPostgres.USER,
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                // Both ports fixed, as in production: Quarkus tags a server's HTTP metrics with its port only when it
                // is set, and Prometheus refuses one meter name with two sets of tags (the server then never starts).
                "quarkus.http.test-port", Integer.toString(FreePorts.next()),
                // Health and metrics: a port of their own (see Management in the tests' support).
                "quarkus.management.test-port", Integer.toString(FreePorts.next()));
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        if (directory != null) {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A leftover temporary directory is harmless.
            }
        }
    }
}
