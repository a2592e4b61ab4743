import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Pre-loads tidemark.changes for the processor benchmark: RECORDS records of
 * source "bench", resource "orders", VERSIONS versions each, every record's
 * versions in updated_at order, records interleaved (version 1 of every
 * record, then version 2, ...), as the receiver would have written them.
 * Amounts are random in [0, 20000), so the bench rule "amount >= 10000"
 * crosses on about a quarter of the transitions.
 *
 *   java -cp "$(cat target/local-classpath.txt)" bench/src/ChangeLoad.java BOOTSTRAP TOPIC RECORDS VERSIONS
 */
public class ChangeLoad {

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int records = Integer.parseInt(args[2]);
        int versions = Integer.parseInt(args[3]);
        Random random = new Random(42);
        Instant start = Instant.parse("2026-11-01T00:00:00Z");
        long begun = System.nanoTime();
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            if (!admin.listTopics().names().get().contains(topic)) {
                // As Tidemark's TopicSetup makes it (tidemark.topics.partitions, default 6).
                admin.createTopics(java.util.List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 6, (short) 1))).all().get();
            }
        }
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                "bootstrap.servers", bootstrap, "acks", "all", "linger.ms", 20, "batch.size", 262144,
                "compression.type", "lz4"), new StringSerializer(), new StringSerializer())) {
            for (int v = 0; v < versions; v++) {
                for (int r = 0; r < records; r++) {
                    String id = "o-" + r;
                    Instant at = start.plusSeconds(v * 60L).plusNanos(r * 1000L);
                    String value = "{\"source\":\"bench\",\"resource\":\"orders\",\"id\":\"" + id + "\",\"op\":\"upsert\""
                            + ",\"updatedAt\":\"" + at + "\",\"data\":{\"id\":\"" + id + "\",\"amount\":" + random.nextInt(20000)
                            + ",\"status\":\"" + (random.nextBoolean() ? "open" : "paid") + "\",\"version\":" + v + "}"
                            + ",\"origin\":\"poll\",\"deliveryId\":\"bench-" + v + "\",\"observedAt\":\"" + at + "\"}";
                    producer.send(new ProducerRecord<>(topic, "bench/orders/" + id, value));
                }
            }
            producer.flush();
        }
        System.out.printf("loaded %d changes over %d records in %.1f s%n", (long) records * versions, records,
                (System.nanoTime() - begun) / 1e9);
    }
}
