package dev.tidemark.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Hostile traffic cannot flood the logs with rejection lines: a few a second, and then how many were left out. */
class LogBudgetTest {

    @Test
    void atMostSoManyLinesASecondAndTheNextOneSaysHowManyWereLeftOut() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T10:00:00Z"));
        InstantSource clock = now::get;
        LogBudget log = new LogBudget(3, clock);
        assertThat(log.admit()).isZero();
        assertThat(log.admit()).isZero();
        assertThat(log.admit()).isZero();
        for (int i = 0; i < 1_000; i++) {
            assertThat(log.admit()).isEqualTo(-1);
        }
        now.set(now.get().plusSeconds(1));
        assertThat(log.admit()).isEqualTo(1_000);
        assertThat(log.admit()).isZero();
    }
}
