package dev.tidemark.change;

import java.util.Comparator;

/**
 * The identity of a record: its source, the connection (account) it belongs
 * to, its resource and its id. Its string form is the Kafka key on every
 * topic, so all changes and events of one record share a partition and stay
 * in order: {@code source/resource/id} for a source's implicit connection
 * (the only kind today), {@code source/connection/resource/id} for another.
 */
public record RecordKey(String source, String connection, String resource, String id) implements Comparable<RecordKey> {

    private static final Comparator<RecordKey> ORDER = Comparator.comparing(RecordKey::source)
            .thenComparing(RecordKey::connection)
            .thenComparing(RecordKey::resource)
            .thenComparing(RecordKey::id);

    public RecordKey {
        if (source == null || connection == null || resource == null || id == null) {
            throw new IllegalArgumentException("source, connection, resource and id are all required");
        }
    }

    /** A record of the source's implicit connection. */
    public RecordKey(String source, String resource, String id) {
        this(source, Connection.IMPLICIT, resource, id);
    }

    public String kafkaKey() {
        return connection.isEmpty() ? source + "/" + resource + "/" + id : source + "/" + connection + "/" + resource + "/" + id;
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
