package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;

/** At most {@code max} calls of one source in flight; the others wait their turn in order. */
final class ConcurrencyGate {

    private final int max;
    private int running;
    private final Deque<Runnable> waiting = new ArrayDeque<>();

    ConcurrencyGate(int max) {
        this.max = Math.max(1, max);
    }

    <T> Uni<T> run(Supplier<Uni<T>> call) {
        return Uni.createFrom().emitter(emitter -> enter(() -> call.get()
                .onTermination().invoke(this::leave)
                .subscribe().with(emitter::complete, emitter::fail)));
    }

    private void enter(Runnable start) {
        synchronized (this) {
            if (running >= max) {
                waiting.add(start);
                return;
            }
            running++;
        }
        start.run();
    }

    private void leave() {
        Runnable next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                running--;
                return;
            }
        }
        next.run();
    }
}
