package dev.tidemark.change;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import io.vertx.mutiny.sqlclient.Row;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.util.regex.Pattern;

/**
 * Normalizes a provider's timestamp to an {@link Instant} truncated to
 * microseconds, the precision PostgreSQL keeps. Accepted: ISO-8601 with any
 * fraction and offset, epoch seconds and epoch milliseconds (as numbers or
 * digit strings, with or without a fraction), from the year 1 to 9999: ISO
 * 8601's four-digit years. Beyond them a date is a provider's mistake, and
 * past PostgreSQL's own range (the year 294276) it would be stored as
 * infinity, a timestamp no later change could ever pass.
 */
public final class Timestamps {

    /**
     * Epoch numbers at or above this are milliseconds. 10^11 seconds is the year
     * 5138, and 10^11 milliseconds is March 1973, long before any record a
     * provider holds today, so the two ranges do not meet in practice.
     */
    static final double MILLIS_THRESHOLD = 1e11;

    /**
     * Longer text is no timestamp: ISO 8601 with nanoseconds and an offset is 35 characters. Without a bound,
     * an updated_at of 300,000 digits took seconds in BigDecimal on the event loop.
     */
    static final int MAX_LENGTH = 64;

    private static final Pattern EPOCH = Pattern.compile("-?\\d+(\\.\\d+)?");

    static final Instant FIRST = Instant.parse("0001-01-01T00:00:00Z");
    static final Instant LAST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private Timestamps() {
    }

    /** True if {@code instant} is within the years 1 to 9999. */
    public static boolean inRange(Instant instant) {
        return !instant.isBefore(FIRST) && !instant.isAfter(LAST);
    }

    public static Optional<Instant> parse(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return Optional.empty();
        }
        if (node.isNumber()) {
            // A JSON number too large for a double (1e400) parses as Infinity: no timestamp.
            if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
                return Optional.empty();
            }
            return fromEpoch(node.decimalValue());
        }
        if (node.isTextual()) {
            return parse(node.textValue());
        }
        return Optional.empty();
    }

    public static Optional<Instant> parse(String text) {
        if (text.length() > MAX_LENGTH * 4) {
            return Optional.empty();   // not even trimmed: spaces around a timestamp do not make it that long
        }
        String trimmed = text.trim();
        if (trimmed.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        if (trimmed.isEmpty()) {
            return Optional.empty();
        }
        if (EPOCH.matcher(trimmed).matches()) {
            return fromEpoch(new BigDecimal(trimmed));
        }
        try {
            return Optional.of(micros(OffsetDateTime.parse(trimmed, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant()))
                    .filter(Timestamps::inRange);
        } catch (DateTimeParseException e) {
            try {
                return Optional.of(micros(Instant.parse(trimmed))).filter(Timestamps::inRange);
            } catch (DateTimeParseException again) {
                return Optional.empty();
            }
        }
    }

    private static Optional<Instant> fromEpoch(BigDecimal value) {
        BigDecimal micros = value.abs().doubleValue() >= MILLIS_THRESHOLD
                ? value.movePointRight(3)
                : value.movePointRight(6);
        try {
            long total = micros.setScale(0, RoundingMode.FLOOR).longValueExact();
            return Optional.of(Instant.EPOCH.plus(total, ChronoUnit.MICROS)).filter(Timestamps::inRange);
        } catch (ArithmeticException | DateTimeException e) {
            return Optional.empty();
        }
    }

    public static Instant micros(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }

    /** As PostgreSQL's timestamptz parameters take it; null stays null. */
    public static OffsetDateTime utc(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    /** A timestamptz column of a row; null stays null. */
    public static Instant column(Row row, String name) {
        OffsetDateTime value = row.getOffsetDateTime(name);
        return value == null ? null : value.toInstant();
    }
}
