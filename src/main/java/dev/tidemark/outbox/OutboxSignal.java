package dev.tidemark.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * In-process wake-up: the processor calls {@link #wake()} after a commit that
 * wrote outbox rows, so a relay in the same replica publishes at once instead
 * of at its next poll. Relays in other replicas learn it from PostgreSQL's
 * NOTIFY on {@link OutboxStore#CHANNEL}.
 */
@ApplicationScoped
public class OutboxSignal {

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public void wake() {
        listeners.forEach(Runnable::run);
    }

    public void onWake(Runnable listener) {
        listeners.add(listener);
    }
}
