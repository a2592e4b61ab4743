package dev.tidemark.poller;

import java.time.Instant;

/**
 * Where a walk through a list endpoint stands: everything before it has been
 * put on Kafka. It is the checkpoint, saved after every page.
 *
 * <p>{@code (updatedAt, id)} is the last item taken and {@code seen} how many
 * items with that same updated_at were taken: the tie-break that lets a walk
 * over an inclusive ({@code >=}) filter step past a run of equal timestamps
 * longer than a page without skipping or repeating it. {@code token} is the
 * provider's own next-page token (a cursor, a next URL) or, for a walk without
 * a filter, the next offset or page number; null at the start of a walk.
 * {@code since} is the filter value the walk began with (token walks send it
 * with every page).
 */
public record Position(Instant since, Instant updatedAt, String id, long seen, String token) {

    public static final Position START = new Position(null, null, null, 0, null);

    /** A walk from scratch whose filter starts at {@code since} (null: everything). */
    public static Position from(Instant since) {
        return new Position(since, since, null, 0, null);
    }

    /** The position once {@code item} is taken. An item older than the position (a lookback) leaves it as it is. */
    public Position after(ListItem item) {
        if (item.updatedAt() == null) {
            return this;
        }
        if (updatedAt == null || item.updatedAt().isAfter(updatedAt) || (id == null && item.updatedAt().equals(updatedAt))) {
            return new Position(since, item.updatedAt(), item.id(), 1, token);
        }
        if (item.updatedAt().equals(updatedAt)) {
            return new Position(since, updatedAt, item.id(), seen + 1, token);
        }
        return this;
    }

    public Position withToken(String next) {
        return new Position(since, updatedAt, id, seen, next);
    }

    /** Back to the first item at this position's updated_at: taken again, none skipped. */
    public Position rewound() {
        return new Position(since, updatedAt, null, 0, token);
    }

    /** Whether {@code item} is the last item taken. */
    public boolean isAt(ListItem item) {
        return id != null && id.equals(item.id()) && updatedAt != null && updatedAt.equals(item.updatedAt());
    }
}
