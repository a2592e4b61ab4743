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
