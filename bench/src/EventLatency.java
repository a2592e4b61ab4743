import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Webhook-to-event latency, seen from outside: reads tidemark.changes and
 * tidemark.events from their ends for SECONDS; for every event of TYPE, the
 * latency is the moment this consumer read it minus the Kafka timestamp of
 * its record's first change (set by the receiver's producer, after the
 * signature was verified and before the webhook was answered). So it spans
 * Kafka, the processor's batch transaction, the outbox and the relay; the
 * HTTP request's own few milliseconds before the produce are not in it.
 *
 *   java -cp "$(cat target/local-classpath.txt)" bench/src/EventLatency.java BOOTSTRAP TYPE SECONDS
 */
public class EventLatency {

    public static void main(String[] args) {
        String bootstrap = args[0];
        String type = "\"type\":\"" + args[1] + "\"";   // as the CloudEvents library writes it: no spaces
        long until = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
        Map<String, Long> changedAt = new HashMap<>();
        // Events read before their change (another partition's fetch came first): resolved when it comes.
        Map<String, Long> eventReadAt = new HashMap<>();
        List<Long> latencies = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap,
                "enable.auto.commit", false), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of("tidemark.changes", "tidemark.events")) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            System.out.println("listening");
            while (System.currentTimeMillis() < until) {
                var records = consumer.poll(Duration.ofMillis(50));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<String, String> record : records) {
                    if (record.topic().equals("tidemark.changes")) {
                        if (changedAt.putIfAbsent(record.key(), record.timestamp()) == null && eventReadAt.containsKey(record.key())) {
                            latencies.add(eventReadAt.remove(record.key()) - record.timestamp());
                        }
                    } else if (record.value() != null && record.value().contains(type)) {
                        Long at = changedAt.get(record.key());
                        if (at != null) {
                            latencies.add(now - at);
                        } else {
                            eventReadAt.put(record.key(), now);
                        }
                    }
                }
            }
        }
        Collections.sort(latencies);
        if (latencies.isEmpty()) {
            System.out.println("events=0");
            return;
        }
        System.out.printf("events=%d p50=%dms p90=%dms p99=%dms max=%dms%n", latencies.size(),
                at(latencies, 0.50), at(latencies, 0.90), at(latencies, 0.99), latencies.get(latencies.size() - 1));
    }

    static long at(List<Long> sorted, double quantile) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(quantile * sorted.size()) - 1));
    }
}
