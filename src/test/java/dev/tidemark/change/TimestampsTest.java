package dev.tidemark.change;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimestampsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "2026-11-24T10:00:00Z                 | 2026-11-24T10:00:00Z",
            "2026-11-24T10:00:00.1Z               | 2026-11-24T10:00:00.100Z",
            "2026-11-24T10:00:00.123456789Z       | 2026-11-24T10:00:00.123456Z",
            "2026-11-24T12:00:00.5+02:00          | 2026-11-24T10:00:00.500Z",
            "2026-11-24T05:00:00-05:00            | 2026-11-24T10:00:00Z",
            "1795514400                           | 2026-11-24T10:00:00Z",
            "1795514400.25                        | 2026-11-24T10:00:00.250Z",
            "1795514400123                        | 2026-11-24T10:00:00.123Z",
    })
    void normalizesToMicrosecondsUtc(String text, String expected) {
        assertThat(Timestamps.parse(text)).contains(Instant.parse(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "yesterday", "2026-13-01T00:00:00Z", "2026-11-24", "0x10", "1e10"})
    void rejectsWhatIsNotATimestamp(String text) {
        assertThat(Timestamps.parse(text)).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void readsJsonNumbersAsEpochSecondsOrMilliseconds() {
        var json = JsonNodeFactory.instance;
        assertThat(Timestamps.parse(json.numberNode(1795514400L))).contains(Instant.parse("2026-11-24T10:00:00Z"));
        assertThat(Timestamps.parse(json.numberNode(1795514400123L))).contains(Instant.parse("2026-11-24T10:00:00.123Z"));
        assertThat(Timestamps.parse(json.numberNode(new BigDecimal("1795514400.1234567")))).contains(Instant.parse("2026-11-24T10:00:00.123456Z"));
        assertThat(Timestamps.parse(json.booleanNode(true))).isEmpty();
        assertThat(Timestamps.parse(json.nullNode())).isEmpty();
        assertThat(Timestamps.parse(json.objectNode().get("missing"))).isEmpty();
    }

    /** Found by WebhookFuzzTests with a random seed: a number too large for a double answered 500. */
    @org.junit.jupiter.api.Test
    void aNumberThatIsNotFiniteIsNoTimestamp() throws Exception {
        var json = JsonNodeFactory.instance;
        assertThat(Timestamps.parse(json.numberNode(Double.POSITIVE_INFINITY))).isEmpty();
        assertThat(Timestamps.parse(json.numberNode(Double.NaN))).isEmpty();
        assertThat(Timestamps.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree("1e400"))).isEmpty();
        assertThat(Timestamps.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree("-1e400"))).isEmpty();
    }

    /** PostgreSQL would store the year 300000 as infinity: no later change could pass it. */
    @ParameterizedTest
    @ValueSource(strings = {"+300000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "-0001-12-31T23:59:59Z", "9000000000000000"})
    void refusesYearsOutsideOneTo9999(String text) {
        assertThat(Timestamps.parse(text)).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void aTimestampOfThousandsOfDigitsIsRefusedAtOnce() {
        String digits = "1".repeat(300_000);
        long started = System.nanoTime();
        assertThat(Timestamps.parse(digits)).isEmpty();
        assertThat(Timestamps.parse(digits + ".5")).isEmpty();
        // Before the cap: seconds in BigDecimal, on the event loop. A generous bound, not a benchmark.
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofMillis(200));
        assertThat(Timestamps.parse("  2026-11-24T10:00:00.123456789+01:00 ")).isPresent();
    }

    @org.junit.jupiter.api.Test
    void keepsTheFirstAndLastInstantsOfTheRange() {
        assertThat(Timestamps.parse("0001-01-01T00:00:00Z")).contains(Instant.parse("0001-01-01T00:00:00Z"));
        assertThat(Timestamps.parse("9999-12-31T23:59:59.999999Z")).contains(Instant.parse("9999-12-31T23:59:59.999999Z"));
    }
}
