package dev.tidemark.support;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Looks at a topic ({@code tidemark.changes} unless told otherwise) from the outside, as any Kafka client would. */
public final class ChangesTopic {

    public static final String TOPIC = "tidemark.changes";

    private final String bootstrap;
    private final String topic;

    public ChangesTopic(String bootstrap) {
        this(bootstrap, TOPIC);
    }

    public ChangesTopic(String bootstrap, String topic) {
        this.bootstrap = bootstrap;
        this.topic = topic;
    }

    /** The end offset of every partition: a mark to compare against or read from. */
    public Map<TopicPartition, Long> endOffsets() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
            return admin.listOffsets(partitions).all().get().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public long total() {
        return endOffsets().values().stream().mapToLong(Long::longValue).sum();
    }

    /** Reads {@code count} records written after {@code mark}, waiting up to 30 s for them. */
    public List<ConsumerRecord<String, String>> readAfter(Map<TopicPartition, Long> mark, int count) {
        return readAfter(mark, records -> records.size() >= count);
    }

    /** Reads what was written after {@code mark} until {@code enough} says so, or 30 s passed. */
    public List<ConsumerRecord<String, String>> readAfter(Map<TopicPartition, Long> mark,
            java.util.function.Predicate<List<ConsumerRecord<String, String>>> enough) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(mark.keySet());
            mark.forEach(consumer::seek);
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            Instant deadline = Instant.now().plusSeconds(30);
            while (!enough.test(records) && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }
}
