package dev.tidemark.change;

import java.util.Comparator;

/**
 * The identity of a record. Its string form {@code source/resource/id} is the
 * Kafka key on every topic, so all changes and events of one record share a
 * partition and stay in order.
 */
public record RecordKey(String source, String resource, String id) implements Comparable<RecordKey> {

    private static final Comparator<RecordKey> ORDER = Comparator.comparing(RecordKey::source)
            .thenComparing(RecordKey::resource)
            .thenComparing(RecordKey::id);

    public RecordKey {
        if (source == null || resource == null || id == null) {
            throw new IllegalArgumentException("source, resource and id are all required");
        }
    }

    public String kafkaKey() {
        return source + "/" + resource + "/" + id;
    }

    /** The order in which the processor locks rows; every replica uses the same one, so none deadlock. */
    @Override
    public int compareTo(RecordKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return kafkaKey();
    }
}
