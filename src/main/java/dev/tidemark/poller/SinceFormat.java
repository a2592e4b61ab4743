package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * How a list endpoint's changed-since filter writes a time
 * ({@code list.updated-since.format}). Coarser formats round down, so the
 * inclusive filter still takes every item at that time.
 */
public enum SinceFormat implements ConfigKind {

    /** ISO-8601 in UTC, to the microsecond. */
    ISO {
        @Override
        String format(Instant at) {
            return at.truncatedTo(ChronoUnit.MICROS).toString();
        }
    },
    EPOCH_SECONDS {
        @Override
        String format(Instant at) {
            return Long.toString(at.getEpochSecond());
        }
    },
    EPOCH_MILLIS {
        @Override
        String format(Instant at) {
            return Long.toString(at.toEpochMilli());
        }
    };

    abstract String format(Instant at);
}
