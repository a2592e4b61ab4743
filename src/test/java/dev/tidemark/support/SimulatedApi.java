package dev.tidemark.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A provider's API, really served over HTTP on 127.0.0.1: what every simulator of one shares. It records each call
 * as "GET /path?query" and hands the request, its query read, to {@link #answer}, closing the exchange after.
 */
abstract class SimulatedApi implements AutoCloseable {

    private final HttpServer server;
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    SimulatedApi(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/", this::handle);
    }

    /** Starts serving; a subclass calls it last in its constructor, once its own fields are set. */
    final void start() {
        server.start();
    }

    /** http://127.0.0.1:port */
    final String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The calls answered, as "GET /path?query", in order. */
    public final List<String> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    final void forgetCalls() {
        calls.clear();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String raw = exchange.getRequestURI().getRawQuery();
            calls.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + (raw == null ? "" : "?" + raw));
            answer(exchange, HttpExchanges.query(raw));
        }
    }

    /** Answers one call; {@code query} is its query string read. */
    abstract void answer(HttpExchange exchange, Map<String, String> query) throws IOException;

    @Override
    public final void close() {
        server.stop(0);
    }
}
