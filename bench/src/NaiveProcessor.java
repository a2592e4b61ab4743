import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The processor benchmark's naive baseline: the same ordered apply, one
 * transaction per change. For each change on the topic: create the row if
 * missing, lock it, compare updated_at, write the newer state and its
 * changelog row, commit; offsets are committed every thousand changes. Its own tables, so it never
 * touches Tidemark's. No rules: it does less work per change than Tidemark.
 *
 *   java -cp "$(cat target/local-classpath.txt)" bench/src/NaiveProcessor.java BOOTSTRAP TOPIC JDBC_URL COUNT
 */
public class NaiveProcessor {

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        String jdbcUrl = args[2];
        long count = Long.parseLong(args[3]);
        ObjectMapper json = new ObjectMapper();
        try (Connection db = DriverManager.getConnection(jdbcUrl, "postgres", "postgres")) {
            try (Statement ddl = db.createStatement()) {
                ddl.execute("DROP TABLE IF EXISTS naive_records, naive_outbox");
                ddl.execute("CREATE TABLE naive_records (key text PRIMARY KEY, updated_at timestamptz, data jsonb)");
                ddl.execute("CREATE TABLE naive_outbox (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text UNIQUE, key text, payload jsonb)");
            }
            db.setAutoCommit(false);
            PreparedStatement create = db.prepareStatement("INSERT INTO naive_records (key) VALUES (?) ON CONFLICT DO NOTHING");
            PreparedStatement lock = db.prepareStatement("SELECT updated_at FROM naive_records WHERE key = ? FOR UPDATE");
            PreparedStatement write = db.prepareStatement("UPDATE naive_records SET updated_at = ?, data = ?::jsonb WHERE key = ?");
            PreparedStatement changelog = db.prepareStatement("INSERT INTO naive_outbox (id, key, payload) VALUES (?, ?, ?::jsonb) ON CONFLICT DO NOTHING");
            try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap,
                    "group.id", "naive-" + UUID.randomUUID(), "auto.offset.reset", "earliest", "enable.auto.commit", false),
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                long done = 0;
                long begun = 0;
                while (done < count) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                        if (begun == 0) {
                            begun = System.nanoTime();
                        }
                        JsonNode change = json.readTree(record.value());
                        Instant at = Instant.parse(change.get("updatedAt").asText());
                        create.setString(1, record.key());
                        create.executeUpdate();
                        lock.setString(1, record.key());
                        try (ResultSet row = lock.executeQuery()) {
                            row.next();
                            Timestamp stored = row.getTimestamp(1);
                            if (stored == null || stored.toInstant().isBefore(at)) {
                                write.setTimestamp(1, Timestamp.from(at));
                                write.setString(2, change.get("data").toString());
                                write.setString(3, record.key());
                                write.executeUpdate();
                                changelog.setString(1, record.key() + "@" + at);
                                changelog.setString(2, record.key());
                                changelog.setString(3, change.get("data").toString());
                                changelog.executeUpdate();
                            }
                        }
                        db.commit();
                        if (++done % 1000 == 0) {
                            // Offsets of committed changes, now and then (as Tidemark's throttled strategy does).
                            consumer.commitAsync();
                        }
                        if (done == count) {
                            break;
                        }
                    }
                }
                double seconds = (System.nanoTime() - begun) / 1e9;
                System.out.printf("naive: %d changes in %.1f s = %.0f changes/s%n", done, seconds, done / seconds);
            }
        }
    }
}
