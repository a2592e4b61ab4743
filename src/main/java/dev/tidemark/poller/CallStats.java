package dev.tidemark.poller;

import java.util.concurrent.atomic.AtomicLong;

/** What one run cost the provider: the numbers of its sync-run row. */
public final class CallStats {

    final AtomicLong calls = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong rateLimitWaits = new AtomicLong();
    final AtomicLong waitedMillis = new AtomicLong();
    final AtomicLong pages = new AtomicLong();
    final AtomicLong records = new AtomicLong();
    private final AtomicLong progressAt = new AtomicLong(System.nanoTime());
    /** When the run began, for its max-run-duration. */
    final long startedNanos = System.nanoTime();

    /** True at most once a second: the run's row is brought up to date that often, not after every page. */
    boolean progressDue() {
        long now = System.nanoTime();
        long last = progressAt.get();
        return now - last >= 1_000_000_000L && progressAt.compareAndSet(last, now);
    }

    public long calls() {
        return calls.get();
    }

    public long retries() {
        return retries.get();
    }

    public long rateLimitWaits() {
        return rateLimitWaits.get();
    }

    public long waitedMillis() {
        return waitedMillis.get();
    }

    public long pages() {
        return pages.get();
    }

    public long records() {
        return records.get();
    }
}
