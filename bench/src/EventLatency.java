import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Webhook-to-event latency, read from the topics after the load, so that the
 * measuring takes no CPU from the machine while it is measured: for every
 * event of TYPE written since SINCE (epoch ms), the Kafka timestamp of the
 * event (set by the relay's producer when it sent it) minus the Kafka
 * timestamp of its record's first change since SINCE (set by the receiver's
 * producer, after the signature was verified and before the webhook was
 * answered). So it spans Kafka, the processor's batch transaction, the outbox
 * and the relay; the webhook's own few milliseconds before its change was
 * produced, and the event's last hop to a consumer, are not in it.
 *
 *   java -cp "$(cat target/local-classpath.txt)" bench/src/EventLatency.java BOOTSTRAP TYPE SINCE_EPOCH_MS
 */
public class EventLatency {

    public static void main(String[] args) {
        String bootstrap = args[0];
        String type = "\"type\":\"" + args[1] + "\"";   // as the CloudEvents library writes it: no spaces
        long since = Long.parseLong(args[2]);
        Map<String, Long> changedAt = new HashMap<>();
        Map<String, Long> eventAt = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap,
                "enable.auto.commit", false, "max.poll.records", 5000), new StringDeserializer(), new StringDeserializer())) {
            for (String topic : List.of("tidemark.changes", "tidemark.events")) {
                List<TopicPartition> partitions = new ArrayList<>();
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                consumer.assign(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                Map<TopicPartition, Long> query = new HashMap<>();
                partitions.forEach(p -> query.put(p, since));
                Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(query);
                for (TopicPartition p : partitions) {
                    consumer.seek(p, start.get(p) == null ? end.get(p) : start.get(p).offset());
                }
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                        if (topic.equals("tidemark.changes")) {
                            changedAt.putIfAbsent(record.key(), record.timestamp());
                        } else if (record.value() != null && record.value().contains(type)) {
                            eventAt.putIfAbsent(record.key(), record.timestamp());
                        }
                    }
                }
            }
        }
        List<Long> latencies = new ArrayList<>();
        eventAt.forEach((key, at) -> {
            Long changed = changedAt.get(key);
            if (changed != null) {
                latencies.add(at - changed);
            }
        });
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
