package dev.tidemark.processor;

import dev.tidemark.config.TidemarkConfig;
import io.smallrye.common.annotation.Identifier;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * The dead-letter topic seen from the admin API: what is on it, by source,
 * and a redrive that sends dead letters back to {@code tidemark.changes} —
 * each once (PostgreSQL remembers which were redriven), all of them or one
 * source's (the source is the first part of the change's key). A redriven
 * change the processor still cannot apply is dead-lettered again, at a new
 * offset. The topic is read from its start to where it ended when the call
 * began; a dead-letter topic is small, and both calls are an operator's.
 *
 * <p>Plain Kafka clients, made per call from the application's own Kafka
 * configuration: the messaging channels consume and produce continuously,
 * and a bounded read of a whole topic on demand is not what they do.
 */
@ApplicationScoped
public class DeadLetterQueue {

    private static final Logger LOG = Logger.getLogger(DeadLetterQueue.class);
    static final String REDRIVEN_FROM_HEADER = "tidemark-redriven-from";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    /** What a redrive did: sent back, sent back already by an earlier redrive, and left (another source's). */
    public record Redrive(int redriven, int alreadyRedriven, int otherSources, int deletedConnections) {
    }

    /** A source's dead letters: all on the topic, and those not redriven yet. */
    public record Count(int total, int pending) {
    }

    private final Map<String, Object> kafka;
    private final TidemarkConfig config;
    private final Pool pool;

    @Inject
    public DeadLetterQueue(@Identifier("default-kafka-broker") Map<String, Object> kafka, TidemarkConfig config, Pool pool) {
        this.kafka = kafka;
        this.config = config;
        this.pool = pool;
    }

    /** Another redrive holds the lock (in this replica or another): two at once would send the same letters twice. */
    public static final class RedriveUnderWay extends RuntimeException {
        RedriveUnderWay() {
            super("another redrive is under way; try again when it has finished");
        }
    }

    /** Counts this young are answered again: a status page in every tab must not read the topic every few seconds each. */
    static final Duration COUNTS_CACHED_FOR = Duration.ofSeconds(10);

    private record Counted(Map<String, Count> counts, long at) {
    }

    private volatile Counted counted;

    /**
     * Dead letters by source ("" for those without a key), at most
     * {@link #COUNTS_CACHED_FOR} old. Blocking: call it off the event loop.
     */
    public Map<String, Count> counts() {
        Counted last = counted;
        if (last != null && System.nanoTime() - last.at() < COUNTS_CACHED_FOR.toNanos()) {
            return last.counts();
        }
        Map<String, Count> fresh = count();
        counted = new Counted(fresh, System.nanoTime());
        return fresh;
    }

    private Map<String, Count> count() {
        Set<Long> redriven = redriven();
        Map<String, int[]> counts = new TreeMap<>();
        read(record -> {
            int[] c = counts.computeIfAbsent(source(record.key()), s -> new int[2]);
            c[0]++;
            if (!redriven.contains(place(record))) {
                c[1]++;
            }
        });
        Map<String, Count> out = new TreeMap<>();
        counts.forEach((source, c) -> out.put(source, new Count(c[0], c[1])));
        return out;
    }

    /**
     * Sends the dead letters not redriven yet (of {@code source}, or all when
     * null) back to the changes topic with their key and value, waits for
     * Kafka, then records them as redriven. Blocking: call it off the event loop.
     */
    public Redrive redrive(String source) {
        // One redrive at a time across replicas: a session lock on a connection of its own, released at the end.
        SqlConnection lock = pool.getConnection().await().atMost(READ_TIMEOUT);
        try {
            boolean held = lock.query("SELECT pg_try_advisory_lock(hashtext('tidemark-dlq-redrive')) AS held").execute()
                    .await().atMost(READ_TIMEOUT).iterator().next().getBoolean("held");
            if (!held) {
                throw new RedriveUnderWay();
            }
            try {
                return redriveHeld(source);
            } finally {
                counted = null;
                lock.query("SELECT pg_advisory_unlock(hashtext('tidemark-dlq-redrive'))").execute().await().atMost(READ_TIMEOUT);
            }
        } finally {
            lock.closeAndForget();
        }
    }

    private Redrive redriveHeld(String source) {
        Set<Long> redriven = redriven();
        List<ConsumerRecord<String, String>> due = new ArrayList<>();
        int[] already = {0};
        int[] others = {0};
        int[] deleted = {0};
        read(record -> {
            if (source != null && !source.equals(source(record.key()))) {
                others[0]++;
            } else if (ofDeletedConnection(record)) {
                // Its connection was deleted: applied to one created again with that id, it would be a change of
                // another account (an old purge's delete would delete the new account's record).
                deleted[0]++;
            } else if (redriven.contains(place(record))) {
                already[0]++;
            } else {
                due.add(record);
            }
        });
        if (due.isEmpty()) {
            return new Redrive(0, already[0], others[0], deleted[0]);
        }
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>(due.size());
            for (ConsumerRecord<String, String> record : due) {
                ProducerRecord<String, String> again = new ProducerRecord<>(config.topics().changes(), record.key(), record.value());
                again.headers().add(REDRIVEN_FROM_HEADER, (record.topic() + "-" + record.partition() + "@" + record.offset())
                        .getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(again));
            }
            for (Future<RecordMetadata> ack : sent) {
                ack.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while redriving", e);
        } catch (ExecutionException e) {
            // Nothing is recorded: what went out goes out again with the next redrive, and the processor takes it as a duplicate.
            throw new IllegalStateException("Kafka did not take the redriven changes: " + e.getCause().getMessage(), e);
        }
        // Recorded once Kafka has them all: a crash before this sends them again, which the processor treats as duplicates.
        pool.preparedQuery("INSERT INTO dlq_redrives (topic, partition, \"offset\") SELECT $1, unnest($2::int[]), unnest($3::bigint[]) "
                + "ON CONFLICT DO NOTHING").execute(Tuple.of(config.topics().changesDlq(),
                        due.stream().map(ConsumerRecord::partition).toArray(Integer[]::new),
                        due.stream().map(ConsumerRecord::offset).toArray(Long[]::new)))
                .await().atMost(READ_TIMEOUT);
        LOG.infof("redrove %d dead letters%s to %s", due.size(), source == null ? "" : " of " + source, config.topics().changes());
        return new Redrive(due.size(), already[0], others[0], deleted[0]);
    }

    private static boolean ofDeletedConnection(ConsumerRecord<String, String> record) {
        var reason = record.headers().lastHeader(ChangeProcessor.DLQ_REASON_HEADER);
        return reason != null && new String(reason.value(), StandardCharsets.UTF_8).startsWith(ChangeProcessor.DELETED_CONNECTION);
    }

    private Set<Long> redriven() {
        Set<Long> places = new HashSet<>();
        for (Row row : pool.preparedQuery("SELECT partition, \"offset\" FROM dlq_redrives WHERE topic = $1")
                .execute(Tuple.of(config.topics().changesDlq())).await().atMost(READ_TIMEOUT)) {
            places.add(place(row.getInteger("partition"), row.getLong("offset")));
        }
        return places;
    }

    /** Reads the dead-letter topic from its start to where it ends now. */
    private void read(Consumer<ConsumerRecord<String, String>> each) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(config.topics().changesDlq(), READ_TIMEOUT);
            if (partitions == null || partitions.isEmpty()) {
                return;
            }
            List<TopicPartition> all = partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Map<TopicPartition, Long> end = consumer.endOffsets(all, READ_TIMEOUT);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (all.stream().anyMatch(tp -> consumer.position(tp, READ_TIMEOUT) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the dead-letter topic was not read to its end within " + READ_TIMEOUT);
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                        each.accept(record);
                    }
                }
            }
        }
    }

    /** The source of a change's key (source/resource/id); "" when there is no key. */
    static String source(String key) {
        if (key == null) {
            return "";
        }
        int slash = key.indexOf('/');
        return slash < 0 ? key : key.substring(0, slash);
    }

    private static long place(ConsumerRecord<?, ?> record) {
        return place(record.partition(), record.offset());
    }

    /** A partition and offset as one number: offsets stay far below 2^48. */
    private static long place(int partition, long offset) {
        return ((long) partition << 48) | offset;
    }
}
