package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    static final Duration HOUR = Duration.ofHours(1);

    static final class Clock implements InstantSource {
        final AtomicReference<Instant> now = new AtomicReference<>(T0);

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.set(now.get().plus(d));
        }
    }

    @Test
    void aBurstGoesAtOnceAndThenCallsAreSpacedByTheRate() {
        Clock clock = new Clock();
        RateLimiter limiter = new RateLimiter(10, 3, clock);
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isEqualTo(Duration.ofMillis(100));
        assertThat(limiter.reserve()).isEqualTo(Duration.ofMillis(200));
        clock.advance(Duration.ofSeconds(10));
        assertThat(limiter.reserve()).isZero();
    }

    @Test
    void anAdvertisedQuotaIsSpreadEvenlyOverWhatIsLeftOfItsWindow() {
        Clock clock = new Clock();
        RateLimiter limiter = new RateLimiter(1000, 50, clock);
        limiter.observe(new RateLimitHeaders(java.util.Optional.of(4L), java.util.Optional.of(Duration.ofSeconds(2)), java.util.Optional.empty()));
        // Four calls left in two seconds: one every 500 ms, no burst.
        assertThat(limiter.reserve()).isEqualTo(Duration.ofMillis(500));
        assertThat(limiter.reserve()).isEqualTo(Duration.ofMillis(1000));
    }

    @Test
    void anAdvertisedPolicyIsPacedAtItsRateWithoutBurst() {
        Clock clock = new Clock();
        RateLimiter limiter = new RateLimiter(1000, 50, clock);
        limiter.observe(RateLimitHeaders.read(headers(Map.of("RateLimit-Policy", "20;w=1", "RateLimit-Remaining", "3",
                "RateLimit-Reset", "1")), T0, HOUR));
        // 20 a second is one every 50 ms, however few remain in this second.
        Duration first = limiter.reserve();
        Duration second = limiter.reserve();
        assertThat(second.minus(first).toMillis()).isEqualTo(50);
    }

    /**
     * The window gate: a policy of q calls per rolling window w refuses a call that arrives less than w after the q-th
     * before it, and counted each earlier one at the latest when it answered it.
     */
    @Test
    void underAPolicyACallGoesOnlyOnceTheWindowHoldsFewerThanTheQuotaOfThisLimitersCalls() {
        Clock clock = new Clock();
        RateLimiter limiter = policy(clock, 2, "2;w=1");
        // Two calls answered 80 ms after they went, 500 ms apart: the third may go 1 s (+ margin) after the first answer.
        assertThat(limiter.admit()).isZero();
        clock.advance(Duration.ofMillis(80));
        Instant firstAnswer = clock.instant();
        limiter.answered(firstAnswer);
        clock.advance(Duration.ofMillis(420));
        assertThat(limiter.admit()).isZero();
        clock.advance(Duration.ofMillis(80));
        Instant secondAnswer = clock.instant();
        limiter.answered(secondAnswer);
        limiter.observe(RateLimitHeaders.read(headers(Map.of("RateLimit-Policy", "2;w=1", "RateLimit-Remaining", "0",
                "RateLimit-Reset", "1")), clock.instant(), HOUR));
        Instant third = clock.instant().plus(limiter.admit());
        assertThat(third).isEqualTo(firstAnswer.plusSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
        // "None left" was this limiter's own doing: no pause to the reset, the gate alone holds the call.
        assertThat(limiter.state().pausedUntil()).isNull();
        // Asked again at that time, it goes, and the one after it waits for the second answer to be a window old.
        clock.now.set(third);
        assertThat(limiter.admit()).isZero();
        Instant fourth = clock.instant().plus(limiter.admit());
        assertThat(fourth).isEqualTo(secondAnswer.plusSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
        // Unanswered calls count as if the provider counted them now: with two in flight, nothing goes for a window
        // at least (one of them must be answered, and then leave the window).
        RateLimiter busy = policy(clock, 2, "2;w=1");
        assertThat(busy.admit()).isZero();
        assertThat(busy.admit()).isZero();
        clock.advance(Duration.ofSeconds(5));
        assertThat(busy.admit()).isEqualTo(Duration.ofSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
        busy.answered(clock.instant());
        assertThat(busy.admit()).isEqualTo(Duration.ofSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
        // Callers held together do not go together: the first to ask again counts, and the next sees it.
        clock.advance(Duration.ofSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
        assertThat(busy.admit()).isZero();   // the answered one left the window, the other is still in flight
        assertThat(busy.admit()).isEqualTo(Duration.ofSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
    }

    @Test
    void underAPolicyNoneLeftThatThisLimiterDidNotSpendWaitsForTheReset() {
        Clock clock = new Clock();
        RateLimiter shared = new RateLimiter(1000, 50, clock);
        shared.observe(RateLimitHeaders.read(headers(Map.of("RateLimit", "\"default\";r=0;t=2",
                "RateLimit-Policy", "\"default\";q=20;w=1")), clock.instant(), HOUR));
        assertThat(shared.reserve()).isEqualTo(Duration.ofSeconds(2));
        assertThat(shared.admit()).isEqualTo(Duration.ofSeconds(2));
        // One call of its own in the window, and none left: someone else spends the quota too.
        RateLimiter one = policy(clock, 2, "2;w=1");
        assertThat(one.admit()).isZero();
        one.answered(clock.instant());
        one.observe(RateLimitHeaders.read(headers(Map.of("RateLimit-Policy", "2;w=1", "RateLimit-Remaining", "0",
                "RateLimit-Reset", "1")), clock.instant(), HOUR));
        assertThat(one.admit()).isEqualTo(Duration.ofSeconds(1));
    }

    /**
     * Found by review: calls end in another order than their answers' heads arrive (a slow body), and the list the
     * window is counted from was trimmed by order of ending: an answer still in the window was dropped, and a call let
     * through too soon.
     */
    @Test
    void answersTimedOutOfOrderStillCountInTheirWindow() {
        Clock clock = new Clock();
        RateLimiter limiter = policy(clock, 2, "2;w=1");
        assertThat(limiter.admit()).isZero();                    // A at 0: its head at 100 ms, its body ends at 700 ms
        clock.advance(Duration.ofMillis(500));
        assertThat(limiter.admit()).isZero();                    // B at 500 ms, answered at 550 ms
        clock.advance(Duration.ofMillis(50));
        Instant b = clock.instant();
        limiter.answered(b);
        clock.advance(Duration.ofMillis(150));
        limiter.answered(T0.plusMillis(100));                    // A ends now, its head long arrived
        clock.now.set(T0.plusMillis(100).plusSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
        assertThat(limiter.admit()).isZero();                    // C: A has left the window
        clock.advance(Duration.ofMillis(5));
        limiter.answered(clock.instant());
        // D: B and C are in the window, whatever order they ended in; it waits for B to leave it.
        assertThat(clock.instant().plus(limiter.admit())).isEqualTo(b.plusSeconds(1).plus(RateLimiter.WINDOW_MARGIN));
    }

    @Test
    void aCallAdmittedButNeverSentHoldsNoPlaceInTheWindow() {
        Clock clock = new Clock();
        RateLimiter limiter = policy(clock, 2, "2;w=1");
        for (int i = 0; i < 100; i++) {   // an open circuit, a token that could not be had: nothing went
            assertThat(limiter.admit()).isZero();
            limiter.released();
        }
        assertThat(limiter.admit()).isZero();
        assertThat(limiter.admit()).isZero();
    }

    /** Above the answers it remembers, the gate cannot see the window fill: the spacing keeps a margin instead. */
    @Test
    void aQuotaLargerThanTheRememberedAnswersIsPacedJustUnderItsRate() {
        Clock clock = new Clock();
        RateLimiter limiter = policy(clock, 1000, "5000;w=3600");
        Duration first = limiter.reserve();
        Duration second = limiter.reserve();
        // 5,000 an hour is one every 720 ms; at 98 % of that, one every 734.7 ms.
        assertThat(second.minus(first).toNanos()).isEqualTo((long) (3600e9 / 5000 / RateLimiter.LARGE_QUOTA_SHARE));
        RateLimiter small = policy(clock, 1000, "20;w=1");
        assertThat(small.reserve().minus(small.reserve()).abs().toMillis()).isEqualTo(50);
    }

    /** Found by review: a provider whose endpoints advertise different policies must not have one window's answers trimmed by another's. */
    @Test
    void answersAreKeptForTheLongestWindowAnyAnswerGave() {
        Clock clock = new Clock();
        RateLimiter limiter = policy(clock, 1000, "3;w=60");
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.admit()).isZero();
            limiter.answered(clock.instant());
            clock.advance(Duration.ofSeconds(5));
        }
        limiter.observe(RateLimitHeaders.read(headers(Map.of("RateLimit-Policy", "10;w=1")), clock.instant(), HOUR));
        assertThat(limiter.admit()).isZero();   // ten a second: nothing in the last one
        limiter.answered(clock.instant());
        limiter.observe(RateLimitHeaders.read(headers(Map.of("RateLimit-Policy", "3;w=60")), clock.instant(), HOUR));
        // Three a minute again: the minute holds the calls at 5, 10 and 15 s; the next waits for the one at 5 s to leave it.
        assertThat(clock.instant().plus(limiter.admit())).isEqualTo(T0.plusSeconds(65).plus(RateLimiter.WINDOW_MARGIN));
    }

    /** A limiter that has seen the policy, with nothing sent yet. */
    private static RateLimiter policy(Clock clock, double perSecond, String policy) {
        RateLimiter limiter = new RateLimiter(perSecond, 1, clock);
        limiter.observe(RateLimitHeaders.read(headers(Map.of("RateLimit-Policy", policy)), clock.instant(), HOUR));
        return limiter;
    }

    @Test
    void underAnAdvertisedQuotaACallThatLeftLatePushesTheNextOneBack() {
        Clock clock = new Clock();
        RateLimiter limiter = new RateLimiter(1000, 1, clock);
        limiter.observe(RateLimitHeaders.read(headers(Map.of("RateLimit-Policy", "20;w=1", "RateLimit-Remaining", "19",
                "RateLimit-Reset", "1")), T0, HOUR));
        Duration due = limiter.reserve();
        clock.advance(due.plusMillis(30));   // it left 30 ms after its slot
        limiter.sending();
        assertThat(limiter.reserve().toMillis()).isEqualTo(50);   // one spacing after it actually left, not after its slot
    }

    /** Found by review: refused callers each booked a slot, so a paused quota stayed out of reach long after its pause. */
    @Test
    void aCallerRefusedForWaitingTooLongTakesNoSlot() {
        Clock clock = new Clock();
        RateLimiter limiter = new RateLimiter(1, 1, clock);
        limiter.pause(Duration.ofSeconds(60));
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.reserve(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(60));
        }
        clock.advance(Duration.ofSeconds(60));
        assertThat(limiter.reserve(Duration.ofSeconds(5))).isZero();
        assertThat(limiter.reserve(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void noCallsLeftMeansWaitingForTheResetAndA429PausesEveryCall() {
        Clock clock = new Clock();
        RateLimiter limiter = new RateLimiter(100, 10, clock);
        limiter.observe(new RateLimitHeaders(java.util.Optional.of(0L), java.util.Optional.of(Duration.ofSeconds(3)), java.util.Optional.empty()));
        assertThat(limiter.reserve()).isEqualTo(Duration.ofSeconds(3));
        RateLimiter other = new RateLimiter(100, 10, clock);
        other.pause(Duration.ofSeconds(7));
        assertThat(other.reserve()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void quotaHeadersOfEveryCommonDialectAreRead() {
        Instant now = T0;
        RateLimitHeaders ietf = RateLimitHeaders.read(headers(Map.of("RateLimit", "\"default\";r=50;t=30",
                "RateLimit-Policy", "\"default\";q=100;w=60")), now, HOUR);
        assertThat(ietf.remaining()).contains(50L);
        assertThat(ietf.reset()).contains(Duration.ofSeconds(30));
        RateLimitHeaders draft = RateLimitHeaders.read(headers(Map.of("RateLimit-Limit", "100", "RateLimit-Remaining", "7",
                "RateLimit-Reset", "12")), now, HOUR);
        assertThat(draft.remaining()).contains(7L);
        assertThat(draft.reset()).contains(Duration.ofSeconds(12));
        RateLimitHeaders github = RateLimitHeaders.read(headers(Map.of("X-RateLimit-Remaining", "0",
                "X-RateLimit-Reset", Long.toString(now.getEpochSecond() + 90))), now, HOUR);
        assertThat(github.remaining()).contains(0L);
        assertThat(github.reset()).contains(Duration.ofSeconds(90));
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "120")), now, HOUR).retryAfter()).contains(Duration.ofSeconds(120));
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "Thu, 26 Nov 2026 10:01:00 GMT")), now, HOUR).retryAfter())
                .contains(Duration.ofSeconds(60));
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "soon")), now, HOUR).retryAfter()).isEmpty();
        // Shopify's REST Admin API sends seconds with a fraction.
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "2.0")), now, HOUR).retryAfter()).contains(Duration.ofSeconds(2));
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "0.0015")), now, HOUR).retryAfter()).contains(Duration.ofMillis(2));
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "1.5e3")), now, HOUR).retryAfter()).isEmpty();
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "999999999999.5")), now, HOUR).retryAfter()).contains(HOUR);
        assertThat(RateLimitHeaders.read(headers(Map.of()), now, HOUR)).isEqualTo(RateLimitHeaders.NONE);
    }

    @Test
    void aResetInEpochMillisecondsIsReadAsATimeNotAsSecondsInTheYear55000() {
        long resetMillis = T0.plusSeconds(90).toEpochMilli();
        RateLimitHeaders millis = RateLimitHeaders.read(headers(Map.of("X-RateLimit-Remaining", "10",
                "X-RateLimit-Reset", Long.toString(resetMillis))), T0, HOUR);
        assertThat(millis.reset()).contains(Duration.ofSeconds(90));
        // Before the fix this threw ArithmeticException (the wait in nanoseconds overflowed) on every response.
        RateLimiter limiter = new RateLimiter(100, 1, new Clock());
        limiter.observe(millis);
        assertThat(limiter.reserve()).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void everyWaitAProviderAsksForIsClampedAndNoHeaderMakesTheArithmeticThrow() {
        Duration cap = Duration.ofMinutes(10);
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "999999999999")), T0, cap).retryAfter()).contains(cap);
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "99999999999999999999999")), T0, cap).retryAfter()).isEmpty();
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")), T0, cap).retryAfter())
                .contains(cap);
        assertThat(RateLimitHeaders.read(headers(Map.of("Retry-After", "-5")), T0, cap).retryAfter()).contains(Duration.ZERO);
        String[] hostile = {"9223372036854775807", "-9223372036854775808", "99999999999", "100000000001", "0", "-1",
                "1e9", "", "  ", "\u0000", "9223372036854775808"};
        for (String value : hostile) {
            for (String remaining : new String[] {"0", "1", "9223372036854775807", "-3"}) {
                RateLimitHeaders read = RateLimitHeaders.read(headers(Map.of("X-RateLimit-Remaining", remaining,
                        "X-RateLimit-Reset", value, "Retry-After", value,
                        "RateLimit", "\"default\";r=" + remaining + ";t=" + value,
                        "RateLimit-Policy", "\"default\";q=" + value + ";w=" + value)), T0, cap);
                read.reset().ifPresent(d -> assertThat(d).isBetween(Duration.ZERO, cap));
                read.retryAfter().ifPresent(d -> assertThat(d).isBetween(Duration.ZERO, cap));
                read.window().ifPresent(d -> assertThat(d).isBetween(Duration.ZERO, cap));
                RateLimiter limiter = new RateLimiter(10, 1, new Clock());
                limiter.observe(read);
                read.retryAfter().ifPresent(limiter::pause);
                assertThat(limiter.reserve()).as("reset %s, remaining %s", value, remaining).isLessThanOrEqualTo(cap);
                assertThat(limiter.state()).isNotNull();
            }
        }
    }

    @Test
    void backoffGrowsExponentiallyWithFullJitterUpToItsCap() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 5);
        assertThat(backoff.delay(1, () -> 1.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.delay(3, () -> 1.0)).isEqualTo(Duration.ofMillis(400));
        assertThat(backoff.delay(10, () -> 1.0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.delay(3, () -> 0.5)).isEqualTo(Duration.ofMillis(200));
    }

    static java.util.function.Function<String, List<String>> headers(Map<String, String> values) {
        return name -> values.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
    }
}
