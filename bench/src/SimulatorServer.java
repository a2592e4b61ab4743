import dev.tidemark.support.ProviderSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The tests' provider simulator as a process of its own, for the poller
 * benchmark: N records (ten per second of updated_at, so ties cross page
 * boundaries), optionally a rate limit of RATE calls per rolling second with
 * RateLimit headers. Writes READY_FILE once it listens; GET /_stats tells
 * what it served.
 *
 *   java -cp "target/test-classes:$(cat target/local-classpath.txt)" bench/src/SimulatorServer.java PORT N RATE READY_FILE
 */
public class SimulatorServer {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int records = Integer.parseInt(args[1]);
        int rate = Integer.parseInt(args[2]);
        ProviderSimulator simulator = new ProviderSimulator(port);
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < records; i++) {
            simulator.put(String.format("rec-%07d", i), start.plusMillis(100L * i), i % 20_000);
        }
        simulator.rateLimit(rate);
        Files.writeString(Path.of(args[3]), simulator.baseUrl());
        Thread.currentThread().join();
    }
}
