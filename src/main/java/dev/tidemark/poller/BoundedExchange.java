package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One HTTP exchange with a provider under a total deadline and a byte cap:
 * the list and record calls and the OAuth2 token endpoint alike. Vert.x's own
 * timeouts are per read (a provider trickling a byte every 29 s never trips a
 * 30 s idle timeout), and its {@code body()} buffers whatever arrives; so the
 * deadline is a timer that resets the connection, and the body is read chunk
 * by chunk, the connection reset the moment it passes the cap (a declared
 * Content-Length over it is refused before a byte is read). A slot of the
 * source's concurrency is held for at most the deadline, and no answer costs
 * more memory than the cap.
 */
final class BoundedExchange {

    /** A call that was not answered in full before its deadline; retried like any timeout. */
    static final class DeadlineException extends TimeoutException {
        DeadlineException(Duration deadline) {
            super("not answered in full within " + deadline.toMillis() + " ms");
        }
    }

    private BoundedExchange() {
    }

    /**
     * Sends {@code options} (with {@code body}, or none) and reads the whole answer. Fails with a
     * {@link DeadlineException} past {@code deadline}, and with a non-retryable {@link ProviderCallException}
     * when the body is longer than {@code maxBytes}. The failure message never names the URL.
     */
    static Uni<ProviderResponse> send(Vertx vertx, HttpClient http, RequestOptions options, Buffer body, Duration deadline,
            long maxBytes) {
        return send(vertx, http, options, body, deadline, maxBytes, () -> { });
    }

    /** The same, running {@code sent} once a connection carries the request (the provider may count it from then on). */
    static Uni<ProviderResponse> send(Vertx vertx, HttpClient http, RequestOptions options, Buffer body, Duration deadline,
            long maxBytes, Runnable sent) {
        return Uni.createFrom().emitter(emitter -> {
            AtomicBoolean over = new AtomicBoolean();
            AtomicReference<HttpClientRequest> sending = new AtomicReference<>();
            AtomicReference<Long> timer = new AtomicReference<>();
            Runnable reset = () -> {
                HttpClientRequest request = sending.get();
                if (request != null) {
                    request.reset();
                }
            };
            Consumer<Throwable> fail = failure -> {
                if (over.compareAndSet(false, true)) {
                    cancel(vertx, timer.get());
                    reset.run();
                    emitter.fail(failure);
                }
            };
            timer.set(vertx.setTimer(Math.max(1, deadline.toMillis()), id -> fail.accept(new DeadlineException(deadline))));
            emitter.onTermination(() -> {
                // Cancelled from downstream (the run was abandoned): nothing more is read.
                if (over.compareAndSet(false, true)) {
                    cancel(vertx, timer.get());
                    reset.run();
                }
            });
            http.request(options).onFailure(fail::accept).onSuccess(request -> {
                sending.set(request);
                if (over.get()) {
                    request.reset();
                    return;
                }
                sent.run();
                request.response().onFailure(fail::accept).onSuccess(response -> read(response, System.nanoTime(), maxBytes, fail, answer -> {
                    if (over.compareAndSet(false, true)) {
                        cancel(vertx, timer.get());
                        emitter.complete(answer);
                    }
                }));
                (body == null ? request.end() : request.end(body)).onFailure(fail::accept);
            });
        });
    }

    /** The timer may not be set yet when it fires first (a deadline of a millisecond, a thread that was slow). */
    private static void cancel(Vertx vertx, Long timer) {
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

    private static void read(HttpClientResponse response, long headNanos, long maxBytes, Consumer<Throwable> fail,
            Consumer<ProviderResponse> done) {
        // First, so the reset that refuses an answer is this exchange's failure, not an error Vert.x logs as unhandled.
        response.exceptionHandler(fail::accept);
        String declared = response.getHeader("Content-Length");
        if (declared != null && declaredOver(declared, maxBytes)) {
            fail.accept(tooLarge(maxBytes));
            return;
        }
        Buffer received = Buffer.buffer();
        response.handler(chunk -> {
            if (received.length() + (long) chunk.length() > maxBytes) {
                fail.accept(tooLarge(maxBytes));
            } else {
                received.appendBuffer(chunk);
            }
        });
        response.endHandler(ended -> done.accept(new ProviderResponse(response.statusCode(), headers(response),
                received.toString(StandardCharsets.UTF_8), headNanos)));
    }

    private static boolean declaredOver(String declared, long maxBytes) {
        try {
            return Long.parseLong(declared.trim()) > maxBytes;
        } catch (NumberFormatException e) {
            return false;   // not a length: the count as it is read decides
        }
    }

    /** An answer longer than the cap: the provider will send the same again, so no retry, here or later. */
    static final class TooLargeException extends ProviderCallException {
        TooLargeException(String message) {
            super(message, false, -1);
        }
    }

    private static ProviderCallException tooLarge(long maxBytes) {
        return new TooLargeException("the answer is larger than tidemark.poller.max-response-size (" + maxBytes
                + " bytes); not read further");
    }

    private static Map<String, List<String>> headers(HttpClientResponse response) {
        Map<String, List<String>> headers = new HashMap<>();
        response.headers().forEach(entry -> headers.computeIfAbsent(entry.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                .add(entry.getValue()));
        return headers;
    }
}
