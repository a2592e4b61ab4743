package dev.tidemark.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A real PostgreSQL 17 server, unpacked from Maven Central by zonky and run as
 * a child process: no Docker, no system install. Test and dev only.
 */
public final class LocalPostgres implements AutoCloseable {

    public static final String USER = "postgres";
    public static final String DATABASE = "postgres";

    private final EmbeddedPostgres server;
    private final Path dataDirectory;

    private LocalPostgres(EmbeddedPostgres server, Path dataDirectory) {
        this.server = server;
        this.dataDirectory = dataDirectory;
    }

    /**
     * @param dataDirectory where the cluster lives
     * @param keepData      reuse an existing cluster there (dev mode) instead of a fresh one (tests)
     */
    public static LocalPostgres start(Path dataDirectory, int port, boolean keepData) {
        try {
            if (!keepData) {
                deleteRecursively(dataDirectory);
            }
            // Never zonky's own cleaning: it deletes the cluster on close, and a test that stops the
            // server to bring it back (a database outage) needs the data where it was.
            return new LocalPostgres(EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", keepData ? "on" : "off")
                    // zonky turns synchronous_commit off by default: a commit would then be answered
                    // before its WAL is on disk, and a crash could lose a batch whose Kafka offsets the
                    // processor has already committed. Production runs with it on; so do the local run
                    // and the benchmarks. (Tests run with fsync off anyway.)
                    .setServerConfig("synchronous_commit", keepData ? "on" : "off")
                    .start(), dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!java.nio.file.Files.exists(directory)) {
            return;
        }
        try (var files = java.nio.file.Files.walk(directory)) {
            for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(path);
            }
        }
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public int port() {
        return server.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port() + "/" + DATABASE;
    }

    public String reactiveUrl() {
        return "postgresql://localhost:" + port() + "/" + DATABASE;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
