package dev.tidemark.poller;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;

/**
 * One connection's call budget: a token bucket of {@code requestsPerSecond} with
 * room for {@code burst} calls at once, kept as the generic cell rate
 * algorithm (a "theoretical arrival time" instead of a token count, so a
 * reservation is one comparison). When the provider says how many calls
 * remain until its window resets, the spacing stretches to spend exactly
 * those calls evenly over the rest of the window, with no burst. When it
 * advertises a policy (quota per window), calls are spaced at its rate and
 * each one is admitted only while fewer than the quota of this limiter's calls
 * can be inside any window the provider counts (the window gate, below): a
 * provider that advertises its quota sees it used to the end and never
 * answers 429. After a 429 or 503 every call waits until the time the
 * provider gave. Pure arithmetic over an injected clock; callers wait the
 * returned time.
 */
public final class RateLimiter {

    /**
     * Added to a window's end computed from the calls' answer times. The answer time already bounds the provider's
     * count from above (it counted the call before it answered, and counts the next one after it is sent), so this is
     * only for a provider whose nodes' clocks differ a little; every millisecond of it is a share of the quota unused
     * (25 ms: 2.5 % of a one-second window).
     */
    static final Duration WINDOW_MARGIN = Duration.ofMillis(10);
    /** Answers remembered under a policy: a quota above it cannot be counted call by call (see {@link #LARGE_QUOTA_SHARE}). */
    static final int REMEMBERED_CALLS = 1024;
    /** Answers remembered before a policy is known: a thousand connections of a provider that never advertises one keep a few each. */
    static final int REMEMBERED_BEFORE_POLICY = 64;
    /**
     * Under a quota larger than the answers remembered, the gate cannot see the window fill: calls are paced at this
     * share of the rate instead, so a timer firing late does not bring two calls too close.
     */
    static final double LARGE_QUOTA_SHARE = 0.98;

    private final InstantSource clock;
    private final long configuredIntervalNanos;
    private final int burst;
    private long intervalNanos;
    private boolean advertised;
    private Instant theoreticalArrival;
    private Instant pausedUntil;
    /** The advertised policy (quota per window), once an answer gave it; 0 and null before. */
    private long policyQuota;
    private Duration policyWindow;
    /**
     * The largest quota and longest window any answer gave: the answers are kept for these, not the last policy's
     * alone, so a provider whose endpoints advertise different policies (10 a second here, 100 a minute there) does
     * not have the long window's answers trimmed by the short one's (review).
     */
    private long largestQuota;
    private Duration longestWindow = Duration.ZERO;
    /** Calls admitted by the window gate whose answer has not come: the provider may count each of them any moment. */
    private int inFlight;
    /**
     * When the last calls were answered, oldest first: a provider's rolling window, as seen from here. The answer's
     * time, not the sending's: the provider counted the call somewhere between the two, and on a busy machine (either
     * one) a call sent a window after another can reach it less than a window after; never after its answer.
     * Measured: timed from sending with a 25 ms margin, 16 to 24 of 28,000 calls at two a second
     * (bench/connections-at-scale.sh, three runs) arrived inside the window and were answered 429. The time is when
     * the answer's head arrived, not when its body was read and handed on: that later time would waste the difference
     * on every window.
     */
    private final ArrayList<Instant> answered = new ArrayList<>();

    public RateLimiter(double requestsPerSecond, int burst, InstantSource clock) {
        if (!(requestsPerSecond > 0)) {
            throw new IllegalArgumentException("requests-per-second must be positive, was " + requestsPerSecond);
        }
        this.clock = clock;
        this.configuredIntervalNanos = (long) (1_000_000_000L / requestsPerSecond);
        this.intervalNanos = configuredIntervalNanos;
        this.burst = Math.max(1, burst);
        this.theoreticalArrival = clock.instant();
        this.pausedUntil = Instant.MIN;
    }

    /** Takes the next call's slot; returns how long to wait before making the call. */
    public synchronized Duration reserve() {
        return reserve(ChronoUnit.FOREVER.getDuration());
    }

    /**
     * Takes the next call's slot if it comes within {@code maxWait}; returns
     * how long to wait for it. A caller told to wait longer makes no call, so
     * it takes no slot either: callers refused while the quota is paused must
     * not push the next free slot ever further past the pause.
     */
    public synchronized Duration reserve(Duration maxWait) {
        Instant now = clock.instant();
        long tolerance = advertised ? 0 : (burst - 1) * intervalNanos;
        Instant at = latest(now, theoreticalArrival.minusNanos(tolerance), pausedUntil);
        Duration wait = Duration.between(now, at);
        if (wait.compareTo(maxWait) <= 0) {
            theoreticalArrival = latest(theoreticalArrival, at, at).plusNanos(intervalNanos);
        }
        return wait;
    }

    /**
     * A call goes out now. Paced by an advertised quota, the next one goes
     * no sooner than one spacing after this: a call that left late (a busy
     * event loop, a GC pause) must not bring the next one closer to it than
     * the provider allows.
     */
    public synchronized void sending() {
        Instant now = clock.instant();
        if (advertised) {
            Instant next = now.plusNanos(intervalNanos);
            if (next.isAfter(theoreticalArrival)) {
                theoreticalArrival = next;
            }
        }
    }

    /**
     * The window gate, asked right before a call goes out: zero when it may go now, and then it counts as in flight
     * until {@link #answered}; otherwise how long to wait before asking again (a pause still running, or a window the
     * provider's policy says is full). A provider counting q calls per rolling window w refuses a call that arrives
     * less than w after the q-th call before it. It counted each earlier call at the latest when it answered it, and
     * will count this one no earlier than now: so this one may go once fewer than q of this limiter's calls were
     * answered within the last w (plus the margin) or are still unanswered. Exact from this side, whatever the
     * latency; a limiter spacing calls at the rate and pausing on "none left" instead lost the latency and, when two
     * runs of a connection interleaved, a whole slot at a time: 91.7 % of the quota used (bench/connections-at-scale.sh).
     * Calls that wait on the gate together cannot go together: the first to ask again counts, and the next sees it.
     */
    public synchronized Duration admit() {
        Instant now = clock.instant();
        if (pausedUntil.isAfter(now)) {
            return Duration.between(now, pausedUntil);
        }
        if (policyQuota > 0) {
            Instant opens = windowOpens(now);
            if (opens != null && opens.isAfter(now)) {
                return Duration.between(now, opens);
            }
        }
        inFlight++;
        return Duration.ZERO;
    }

    /**
     * When the window gate lets the next call through: null for now, or when the oldest of the calls that fill the
     * window has been answered a window ago. With the quota's worth of calls unanswered, a window from now at the
     * earliest: one of them must be answered (no sooner than now) and then leave the window.
     */
    private Instant windowOpens(Instant now) {
        // The answers are in time order (answered() keeps them so): those in the window are the newest, at most the quota's.
        Instant cutoff = now.minus(policyWindow).minus(WINDOW_MARGIN);
        int inWindow = 0;
        for (int i = answered.size() - 1; i >= 0 && inWindow < policyQuota && answered.get(i).isAfter(cutoff); i--) {
            inWindow++;
        }
        long over = inWindow + inFlight - policyQuota + 1;
        if (over <= 0) {
            return null;
        }
        if (over > inWindow) {
            return now.plus(policyWindow).plus(WINDOW_MARGIN);
        }
        // The over-th oldest of those in the window must leave it.
        return answered.get(answered.size() - inWindow + (int) over - 1).plus(policyWindow).plus(WINDOW_MARGIN);
    }

    /**
     * A call the gate admitted was sent and has ended: answered at {@code at} (when the answer's head arrived), or
     * failed, or was given up, with {@code at} now. The provider counted it no later than that. Kept in time order:
     * calls end in another order than their answers' heads arrive (a slow body), and the trim below drops the oldest.
     */
    public synchronized void answered(Instant at) {
        if (inFlight > 0) {
            inFlight--;
        }
        int index = answered.size();
        while (index > 0 && answered.get(index - 1).isAfter(at)) {
            index--;
        }
        answered.add(index, at);
        // Only the answers a window can still hold are of use (a thousand connections keep a list each): under a
        // policy, those of the last window, at most the quota's; before one is known, a bounded few.
        int keep = largestQuota > 0 ? (int) Math.min(largestQuota, REMEMBERED_CALLS) : REMEMBERED_BEFORE_POLICY;
        int drop = Math.max(0, answered.size() - keep);
        if (largestQuota > 0) {
            // No call to come can be counted in a window with an answer a window older than the newest.
            Instant cutoff = answered.get(answered.size() - 1).minus(longestWindow).minus(WINDOW_MARGIN);
            while (drop < answered.size() - 1 && !answered.get(drop).isAfter(cutoff)) {
                drop++;
            }
        }
        if (drop > 0) {
            answered.subList(0, drop).clear();
        }
    }

    /** A call the gate admitted ended without being sent (its token could not be had, the circuit is open): the provider counted nothing. */
    public synchronized void released() {
        if (inFlight > 0) {
            inFlight--;
        }
    }

    /**
     * Adapts to what a response said of the quota. With a policy (quota per
     * window) the calls are paced at that rate and go through the window gate,
     * which a provider counting over any window of that length accepts; otherwise what remains
     * is spread over the time to the reset (precise enough for the usual hour
     * windows, where the reset's whole seconds do not matter). No call left:
     * wait for the reset.
     */
    public synchronized void observe(RateLimitHeaders headers) {
        Instant now = clock.instant();
        if (headers.quota().isPresent() && headers.window().isPresent()) {
            advertised = true;
            policyQuota = headers.quota().get();   // positive: RateLimitHeaders drops any other
            policyWindow = headers.window().get();
            largestQuota = Math.max(largestQuota, policyQuota);
            longestWindow = policyWindow.compareTo(longestWindow) > 0 ? policyWindow : longestWindow;
            double share = policyQuota > REMEMBERED_CALLS ? LARGE_QUOTA_SHARE : 1.0;
            intervalNanos = Math.max(configuredIntervalNanos, (long) (policyWindow.toNanos() / (double) policyQuota / share));
            // "None left" under a policy: if this limiter's own calls fill the window, the gate already holds the
            // next call until the oldest of them leaves it, to the millisecond (the reset, in whole seconds, would
            // overstate that wait by up to a second each time). If they do not, someone else is spending the same
            // quota: wait for the reset (the provider's 429 and its Retry-After say more, if it comes to that).
            if (headers.remaining().filter(r -> r <= 0).isPresent() && windowOpens(now) == null) {
                Instant until = now.plus(headers.reset().orElse(policyWindow));
                pausedUntil = latest(pausedUntil, until, until);
            }
            return;
        }
        if (headers.remaining().isEmpty() || headers.reset().isEmpty()) {
            return;
        }
        long remaining = headers.remaining().get();
        Duration reset = headers.reset().get();
        advertised = true;
        if (remaining <= 0) {
            pausedUntil = latest(pausedUntil, now.plus(reset), now.plus(reset));
            intervalNanos = configuredIntervalNanos;
            return;
        }
        intervalNanos = Math.max(configuredIntervalNanos, reset.toNanos() / remaining);
        // The call that brought this answer was just made: the next one is one new spacing away,
        // neither a debt run up under the old spacing nor a burst saved up before.
        theoreticalArrival = now.plusNanos(intervalNanos);
    }

    /**
     * What the limiter does now: the rate it paces calls at, whether the
     * provider's headers set it, and until when calls wait (null when they do not).
     */
    public record State(double perSecond, boolean advertised, Instant pausedUntil) {
    }

    public synchronized State state() {
        Instant now = clock.instant();
        return new State(Math.round(1e11 / intervalNanos) / 100.0, advertised, pausedUntil.isAfter(now) ? pausedUntil : null);
    }

    /** After a 429 or 503: no call before {@code wait} has passed. */
    public synchronized void pause(Duration wait) {
        Instant until = clock.instant().plus(wait);
        pausedUntil = latest(pausedUntil, until, until);
    }

    private static Instant latest(Instant a, Instant b, Instant c) {
        Instant max = a.isAfter(b) ? a : b;
        return max.isAfter(c) ? max : c;
    }
}
