import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Load generator for POST /webhooks/{source}: pre-signed, distinct deliveries
 * (generic HMAC-SHA256, hex, "sha256=" prefix) over keep-alive HTTP/1.1
 * connections. Run with the JDK's source launcher, no build needed:
 *
 *   java bench/src/WebhookLoad.java URL SECRET closed CONCURRENCY SECONDS [BODY_BYTES]
 *   java bench/src/WebhookLoad.java URL SECRET open RATE_PER_SECOND SECONDS [BODY_BYTES]
 *   java bench/src/WebhookLoad.java - SECRET write COUNT FILE [BODY_BYTES]
 *
 * closed: CONCURRENCY requests always in flight; measures the most it accepts.
 * open: requests sent on a fixed schedule whatever the answers; latency is
 * measured from each request's scheduled time, so a slow server is not
 * hidden by a slow generator (no coordinated omission).
 *
 * write: COUNT pre-signed deliveries to FILE, one "signature TAB body" per
 * line, for wrk (bench/src/deliveries.lua), whose C client costs the machine
 * far less CPU than the JDK's.
 *
 * Prints one line: mode, accepted deliveries/s, other statuses, p50/p90/p99/max in ms.
 */
public class WebhookLoad {

    public static void main(String[] args) throws Exception {
        byte[] secret = args[1].getBytes(StandardCharsets.UTF_8);
        String mode = args[2];
        int level = Integer.parseInt(args[3]);
        int bodyBytes = args.length > 5 ? Integer.parseInt(args[5]) : 1024;
        if (mode.equals("write")) {
            try (var out = new java.io.PrintWriter(java.nio.file.Files.newBufferedWriter(java.nio.file.Path.of(args[4])))) {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                long run = System.nanoTime();
                for (int i = 0; i < level; i++) {
                    byte[] body = body(run, i, bodyBytes);
                    out.print("sha256=" + HexFormat.of().formatHex(mac.doFinal(body)) + "\t");
                    out.println(new String(body, StandardCharsets.UTF_8));
                }
            }
            return;
        }
        URI url = URI.create(args[0]);
        int seconds = Integer.parseInt(args[4]);

        int count = mode.equals("open") ? level * seconds : Math.max(200_000, level * seconds * 4000);
        count = Math.min(count, 2_000_000);
        byte[][] bodies = new byte[count][];
        String[] signatures = new String[count];
        long run = System.nanoTime();
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        for (int i = 0; i < count; i++) {
            bodies[i] = body(run, i, bodyBytes);
            signatures[i] = "sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies[i]));
        }

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4)).build();
        long[] latencies = new long[count];
        AtomicInteger recorded = new AtomicInteger();
        LongAdder accepted = new LongAdder();
        Map<String, LongAdder> others = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();

        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        if (mode.equals("closed")) {
            Semaphore inFlight = new Semaphore(level);
            while (System.nanoTime() < end) {
                inFlight.acquire();
                int i = next.getAndIncrement() % count;
                long sent = System.nanoTime();
                send(client, url, bodies[i], signatures[i]).whenComplete((status, error) -> {
                    record(sent, status, error, latencies, recorded, accepted, others);
                    inFlight.release();
                });
            }
            inFlight.acquire(level);
        } else {
            long interval = 1_000_000_000L / level;
            AtomicLong pending = new AtomicLong();
            for (int i = 0; i < count; i++) {
                long scheduled = start + i * interval;
                long wait = scheduled - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                pending.incrementAndGet();
                send(client, url, bodies[i], signatures[i]).whenComplete((status, error) -> {
                    record(scheduled, status, error, latencies, recorded, accepted, others);
                    pending.decrementAndGet();
                });
            }
            while (pending.get() > 0) {
                Thread.sleep(10);
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        int n = recorded.get();
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        System.out.printf("mode=%s level=%d body=%dB seconds=%.1f accepted=%d accepted_per_s=%.0f other=%s p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f%n",
                mode, level, bodyBytes, elapsed, accepted.sum(), accepted.sum() / elapsed, others,
                pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99), n == 0 ? 0 : sorted[n - 1] / 1e6);
        System.exit(0);
    }

    /** A distinct order delivery of about {@code bytes} bytes. */
    static byte[] body(long run, int i, int bytes) {
        String head = "{\"type\":\"order.created\",\"data\":{\"id\":\"bench-" + run + "-" + i
                + "\",\"updated_at\":\"2026-11-24T10:00:00Z\",\"status\":\"open\",\"amount\":" + i + ",\"note\":\"";
        String tail = "\"}}";
        String pad = "x".repeat(Math.max(0, bytes - head.length() - tail.length()));
        return (head + pad + tail).getBytes(StandardCharsets.UTF_8);
    }

    static java.util.concurrent.CompletableFuture<Integer> send(HttpClient client, URI url, byte[] body, String signature) {
        HttpRequest request = HttpRequest.newBuilder(url)
                .header("Content-Type", "application/json")
                .header("X-Signature", signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
    }

    static void record(long from, Integer status, Throwable error, long[] latencies, AtomicInteger recorded,
            LongAdder accepted, Map<String, LongAdder> others) {
        int slot = recorded.getAndIncrement();
        if (slot < latencies.length) {
            latencies[slot] = System.nanoTime() - from;
        }
        if (error == null && status == 202) {
            accepted.increment();
        } else {
            others.computeIfAbsent(error != null ? error.getClass().getSimpleName() : String.valueOf(status), k -> new LongAdder()).increment();
        }
    }

    static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
