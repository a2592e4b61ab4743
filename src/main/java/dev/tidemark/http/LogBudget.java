package dev.tidemark.http;

import java.time.InstantSource;

/**
 * How many lines of a kind may be logged when whoever reaches the port
 * decides how often they happen (a refused webhook, a failure every request
 * meets alike): at most {@code perSecond} a second; the next line written
 * says how many were left out. Every one is counted in the metrics all the
 * same.
 */
public final class LogBudget {

    /** The receiver's one budget: refusals by the resource and the body limit before it share it. */
    public static final LogBudget WEBHOOKS = new LogBudget(20, InstantSource.system());

    private final int perSecond;
    private final InstantSource clock;
    private long second = Long.MIN_VALUE;
    private int written;
    private long skipped;

    LogBudget(int perSecond, InstantSource clock) {
        this.perSecond = perSecond;
        this.clock = clock;
    }

    /** A budget of {@code perSecond} lines on the system clock. */
    public static LogBudget budget(int perSecond) {
        return new LogBudget(perSecond, InstantSource.system());
    }

    /** -1 if this line is not to be written; otherwise how many before it were not (0 usually). */
    public synchronized long admit() {
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
