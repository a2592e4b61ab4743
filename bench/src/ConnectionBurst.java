import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The burst of bench/connections-at-scale.sh: COUNT connections of the source "accounts" created through the
 * API, the i-th sent SPREAD_MS * i / COUNT after the first whether or not the ones before it were answered (a
 * burst as customers sign up, not a client that waits its turn), at most MAX_OPEN unanswered at once.
 *
 *   java bench/src/ConnectionBurst.java BASE_URL TOKEN COUNT SPREAD_MS MAX_OPEN
 *
 * Each create's latency is counted from the moment it was due. One JVM with one HTTP/1.1 client, where 32 shell loops forking curl, date and bc for every create took a share of
 * the same two cores the app runs on. Prints one line: when the first create was sent, when the last was answered (ms after the first was
 * sent), and each answer's latency (p50, p99, max): "FIRST_SENT_EPOCH_MS LAST_ANSWER_MS p50 … ms, p99 … ms, max … ms".
 * Exits 1 if any create was not answered 201.
 */
public class ConnectionBurst {

    public static void main(String[] args) throws Exception {
        String base = args[0];
        String token = args[1];
        int count = Integer.parseInt(args[2]);
        long spreadMs = Long.parseLong(args[3]);
        int maxOpen = Integer.parseInt(args[4]);
        // HTTP/1.1, as curl and most API clients speak it: no upgrade to one multiplexed connection.
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        java.util.concurrent.Semaphore open = new java.util.concurrent.Semaphore(maxOpen);
        List<CompletableFuture<?>> sent = new ArrayList<>();
        long startEpochMs = System.currentTimeMillis();
        long start = System.nanoTime();
        long[] lastAnswer = {start};
        for (int i = 0; i < count; i++) {
            long due = start + spreadMs * 1_000_000L * i / count;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            }
            open.acquire();
            String id = String.format("t%04d", i);
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/sources/accounts/connections"))
                    .timeout(Duration.ofMinutes(2))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"tok-" + id
                            + "\"},\"variables\":{\"tenant\":\"" + id + "\"}}"))
                    .build();
            // Timed from when it was due, not sent: a create held back by MAX_OPEN unanswered ones waited for the app too.
            long sentAt = due;
            sent.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((response, failure) -> {
                long now = System.nanoTime();
                open.release();
                latencies.add(now - sentAt);
                synchronized (lastAnswer) {
                    lastAnswer[0] = Math.max(lastAnswer[0], now);
                }
                if (failure != null || response.statusCode() != 201) {
                    refused.incrementAndGet();
                    System.err.println("creating " + id + " answered " + (failure != null ? failure : response.statusCode()));
                }
                return null;
            }));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("%d %d %s%n", startEpochMs, (lastAnswer[0] - start) / 1_000_000L, String.format("p50 %d ms, p99 %d ms, max %d ms",
                sorted.get(sorted.size() / 2) / 1_000_000L, sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))) / 1_000_000L,
                sorted.get(sorted.size() - 1) / 1_000_000L));
        System.exit(refused.get() == 0 ? 0 : 1);
    }
}
