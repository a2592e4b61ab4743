package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A kept refetch waits 1 s after its first failure, twice as long after each next one, at most 5 minutes. */
class RefetchBackoffTest {

    @Test
    void doublesFromOneSecondUpToFiveMinutes() {
        assertThat(RefetchConsumer.backoff(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(RefetchConsumer.backoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(RefetchConsumer.backoff(9)).isEqualTo(Duration.ofSeconds(256));
        assertThat(RefetchConsumer.backoff(10)).isEqualTo(Duration.ofMinutes(5));
        assertThat(RefetchConsumer.backoff(1_000)).isEqualTo(Duration.ofMinutes(5));
    }
}
