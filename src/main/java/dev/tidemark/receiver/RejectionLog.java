package dev.tidemark.receiver;

import java.time.InstantSource;

/**
 * How many rejection lines may be logged: a refused webhook is one line
 * (never a stack trace), but refusals are driven by whoever can reach the
 * port, so at most {@code perSecond} lines a second are written; the line
 * after a quiet spell says how many were left out. Every refusal is counted
 * in the metrics all the same.
 */
final class RejectionLog {

    private final int perSecond;
    private final InstantSource clock;
    private long second = Long.MIN_VALUE;
    private int written;
    private long skipped;

    RejectionLog(int perSecond, InstantSource clock) {
        this.perSecond = perSecond;
        this.clock = clock;
    }

    /** -1 if this line is not to be written; otherwise how many before it were not (0 usually). */
    synchronized long admit() {
        long now = clock.millis() / 1000;
        if (now != second) {
            second = now;
            written = 0;
        }
        if (written >= perSecond) {
            skipped++;
            return -1;
        }
        written++;
        long before = skipped;
        skipped = 0;
        return before;
    }
}
