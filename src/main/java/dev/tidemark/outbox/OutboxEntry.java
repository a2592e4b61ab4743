package dev.tidemark.outbox;

/**
 * One row for the outbox, written in the same transaction as the record it
 * describes. The relay publishes {@code payload} as it is, keyed by
 * {@code key}, to the topic {@code topic} names; a null payload is a
 * tombstone on the changelog.
 *
 * @param id      deterministic: the same edge or the same applied state always yields the same id,
 *                so writing it twice (a redelivered batch) is a no-op
 * @param topic   {@link #EVENTS} or {@link #RECORDS}; the relay maps it to the configured topic name
 * @param type    the event type, or {@code record} for the changelog
 */
public record OutboxEntry(String id, String topic, String key, String type, String payload) {

    public static final String EVENTS = "events";
    public static final String RECORDS = "records";
}
