import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A provider of many accounts for bench/connections-at-scale.sh: tenants
 * t0000.. each with its own bearer token (tok-tNNNN), its own records (50 to
 * 500, fixed by the tenant's number) under /t/{tenant}/items and
 * /t/{tenant}/notes, and its own quota of QUOTA calls per rolling second,
 * advertised on every answer (RateLimit-Limit/-Remaining/-Reset and
 * RateLimit-Policy: QUOTA;w=1) and enforced with 429. The first NOISY tenants
 * also answer 429 to every third call, whatever their quota. Pages: limit,
 * cursor (an offset), updated_since. Every second, CHURN_PER_MINUTE / 60
 * records of random tenants change (a new updated_at), so polls find work.
 * Each call is appended to CALL_LOG as "epochMillis tenant resource status".
 *
 *   java bench/src/TenantSimulator.java PORT TENANTS QUOTA NOISY CHURN_PER_MINUTE CALL_LOG READY_FILE
 */
public class TenantSimulator {

    record Item(String id, long updatedAt) {
    }

    static final class Tenant {
        final String name;
        final List<Item> items = new ArrayList<>();
        final ArrayDeque<Long> admitted = new ArrayDeque<>();
        long calls;

        Tenant(String name) {
            this.name = name;
        }
    }

    static final Map<String, Tenant> TENANTS = new HashMap<>();
    static int quota;
    static int noisy;
    static BufferedWriter log;
    static final AtomicLong LOGGED = new AtomicLong();

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int tenants = Integer.parseInt(args[1]);
        quota = Integer.parseInt(args[2]);
        noisy = Integer.parseInt(args[3]);
        int churn = Integer.parseInt(args[4]);
        log = Files.newBufferedWriter(Path.of(args[5]));
        long base = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        for (int t = 0; t < tenants; t++) {
            Tenant tenant = new Tenant(String.format("t%04d", t));
            int records = 50 + (int) ((t * 2654435761L) % 451);
            for (int i = 0; i < records; i++) {
                tenant.items.add(new Item(tenant.name + "-" + i, base + i * 1000L));
            }
            TENANTS.put(tenant.name, tenant);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 512);
        server.createContext("/t/", TenantSimulator::handle);
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.start();
        Random random = new Random(42);
        Thread churner = new Thread(() -> {
            double perSecond = churn / 60.0;
            double owed = 0;
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                owed += perSecond;
                for (; owed >= 1; owed--) {
                    Tenant tenant = TENANTS.get(String.format("t%04d", random.nextInt(tenants)));
                    synchronized (tenant) {
                        int at = random.nextInt(tenant.items.size());
                        Item item = tenant.items.remove(at);
                        tenant.items.add(new Item(item.id(), System.currentTimeMillis()));
                    }
                }
                synchronized (TenantSimulator.class) {
                    try {
                        log.flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            }
        });
        churner.setDaemon(true);
        churner.start();
        Files.writeString(Path.of(args[6]), "http://127.0.0.1:" + port);
        Thread.currentThread().join();
    }

    static void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String[] path = exchange.getRequestURI().getRawPath().split("/");
            Tenant tenant = path.length == 4 ? TENANTS.get(path[2]) : null;
            if (tenant == null || !(path[3].equals("items") || path[3].equals("notes"))) {
                send(exchange, 404, "{\"error\":\"not found\"}");
                return;
            }
            if (!("Bearer tok-" + tenant.name).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                record(tenant, path[3], 401);
                send(exchange, 401, "{\"error\":\"invalid token\"}");
                return;
            }
            boolean admitted;
            long remaining;
            long reset;
            boolean noisyRefusal;
            synchronized (tenant) {
                tenant.calls++;
                noisyRefusal = Integer.parseInt(tenant.name.substring(1)) < noisy && tenant.calls % 3 == 0;
                long now = System.nanoTime();
                while (!tenant.admitted.isEmpty() && now - tenant.admitted.peekFirst() >= 1_000_000_000L) {
                    tenant.admitted.pollFirst();
                }
                admitted = !noisyRefusal && tenant.admitted.size() < quota;
                if (admitted) {
                    tenant.admitted.addLast(now);
                }
                remaining = quota - tenant.admitted.size();
                reset = tenant.admitted.isEmpty() ? 0 : (long) Math.ceil((tenant.admitted.peekFirst() + 1_000_000_000L - now) / 1e9);
            }
            exchange.getResponseHeaders().add("RateLimit-Limit", Integer.toString(quota));
            exchange.getResponseHeaders().add("RateLimit-Remaining", Long.toString(remaining));
            exchange.getResponseHeaders().add("RateLimit-Reset", Long.toString(reset));
            exchange.getResponseHeaders().add("RateLimit-Policy", quota + ";w=1");
            if (!admitted) {
                record(tenant, path[3], noisyRefusal ? 4291 : 429);
                exchange.getResponseHeaders().add("Retry-After", "1");
                send(exchange, 429, "{\"error\":\"slow down\"}");
                return;
            }
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            int limit = Integer.parseInt(query.getOrDefault("limit", "100"));
            int from = Integer.parseInt(query.getOrDefault("cursor", "0"));
            long since = query.containsKey("updated_since") ? Instant.parse(query.get("updated_since")).toEpochMilli() : Long.MIN_VALUE;
            StringBuilder body = new StringBuilder("{\"data\":[");
            int matching = 0;
            synchronized (tenant) {
                List<Item> sorted = new ArrayList<>(tenant.items);
                sorted.sort((a, b) -> a.updatedAt() != b.updatedAt() ? Long.compare(a.updatedAt(), b.updatedAt()) : a.id().compareTo(b.id()));
                for (Item item : sorted) {
                    if (item.updatedAt() < since) {
                        continue;
                    }
                    if (matching >= from && matching < from + limit) {
                        if (body.charAt(body.length() - 1) != '[') {
                            body.append(',');
                        }
                        body.append("{\"id\":\"").append(path[3]).append('-').append(item.id()).append("\",\"updated_at\":\"")
                                .append(Instant.ofEpochMilli(item.updatedAt())).append("\",\"tenant\":\"").append(tenant.name)
                                .append("\",\"amount\":").append(item.id().hashCode() & 0xffff).append('}');
                    }
                    matching++;
                }
            }
            body.append("],\"next_cursor\":").append(from + limit < matching ? "\"" + (from + limit) + "\"" : "null").append('}');
            record(tenant, path[3], 200);
            send(exchange, 200, body.toString());
        }
    }

    static void record(Tenant tenant, String resource, int status) throws IOException {
        synchronized (TenantSimulator.class) {
            log.write(System.currentTimeMillis() + " " + tenant.name + " " + resource + " " + status + "\n");
        }
        LOGGED.incrementAndGet();
    }

    static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return query;
    }

    static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
