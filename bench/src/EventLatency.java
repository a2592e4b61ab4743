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
 *   java -cp "$(cat target/local-classpath.txt)" bench/src/EventLatency.java BOOTSTRAP TYPE SINCE_EPOCH_MS[-UNTIL_EPOCH_MS] [JDBC_URL]
 *
 * With UNTIL, only changes produced before it count (a window of the run, such as its warm-up).
 */
public class EventLatency {

    public static void main(String[] args) {
        String bootstrap = args[0];
        String type = "\"type\":\"" + args[1] + "\"";   // as the CloudEvents library writes it: no spaces
        String[] window = args[2].split("-");
        long since = Long.parseLong(window[0]);
        long until = window.length > 1 ? Long.parseLong(window[1]) : Long.MAX_VALUE;
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
                            if (record.timestamp() < until) {
                                changedAt.putIfAbsent(record.key(), record.timestamp());
                            }
                        } else if (record.value() != null && record.value().contains(type)) {
                            eventAt.putIfAbsent(record.key(), record.timestamp());
                        }
                    }
                }
            }
        }
        List<Long> latencies = new ArrayList<>();
        java.util.TreeMap<Long, List<Long>> bySecond = new java.util.TreeMap<>();
        eventAt.forEach((key, at) -> {
            Long changed = changedAt.get(key);
            if (changed != null) {
                latencies.add(at - changed);
                bySecond.computeIfAbsent((changed - since) / 1000, s -> new ArrayList<>()).add(at - changed);
            }
        });
        if (System.getenv("BENCH_LATENCY_SERIES") != null) {
            series(args.length > 3 ? args[3] : null, since, changedAt, eventAt);
        }
        Collections.sort(latencies);
        if (latencies.isEmpty()) {
            System.out.println("events=0");
            return;
        }
        System.out.printf("events=%d p50=%dms p90=%dms p99=%dms max=%dms%n", latencies.size(),
                at(latencies, 0.50), at(latencies, 0.90), at(latencies, 0.99), latencies.get(latencies.size() - 1));
    }

    /**
     * Second by second (of the change's timestamp): where in the run the slow
     * events were, and, given the database, how the time splits at the
     * outbox row's created_at (the start of the processor's transaction):
     * before it (Kafka and the processor's queue), after it (the apply, the
     * commit and the relay).
     */
    static void series(String jdbcUrl, long since, Map<String, Long> changedAt, Map<String, Long> eventAt) {
        Map<String, Long> createdAt = new HashMap<>();
        if (jdbcUrl != null) {
            try (var db = java.sql.DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
                 var rows = db.createStatement().executeQuery(
                         "SELECT aggregate_id, (extract(epoch FROM created_at) * 1000)::bigint FROM outbox WHERE topic = 'events'")) {
                while (rows.next()) {
                    createdAt.putIfAbsent(rows.getString(1), rows.getLong(2));
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        java.util.TreeMap<Long, List<long[]>> bySecond = new java.util.TreeMap<>();
        eventAt.forEach((key, at) -> {
            Long changed = changedAt.get(key);
            if (changed != null) {
                long created = createdAt.getOrDefault(key, changed);
                bySecond.computeIfAbsent((changed - since) / 1000, s -> new ArrayList<>())
                        .add(new long[] {at - changed, created - changed, at - created});
            }
        });
        bySecond.forEach((second, values) -> {
            List<Long> total = new ArrayList<>();
            List<Long> before = new ArrayList<>();
            List<Long> after = new ArrayList<>();
            values.forEach(v -> { total.add(v[0]); before.add(v[1]); after.add(v[2]); });
            Collections.sort(total);
            Collections.sort(before);
            Collections.sort(after);
            System.out.printf("   second %3d: %4d events, p50 %4d ms, max %4d ms; p50 before the processor's transaction %4d ms, after %4d ms%n",
                    second, values.size(), at(total, 0.5), total.get(total.size() - 1), at(before, 0.5), at(after, 0.5));
        });
    }

    static long at(List<Long> sorted, double quantile) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(quantile * sorted.size()) - 1));
    }
}
