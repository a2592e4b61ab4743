package dev.tidemark.relay;

import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.outbox.OutboxEntry;
import dev.tidemark.outbox.OutboxStore.Claimed;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The outbox on Kafka: events to {@code tidemark.events}, applied states to
 * the compacted {@code tidemark.records}.
 *
 * <p>It publishes with a Kafka producer of its own rather than through a
 * SmallRye channel: the connector re-sends a failed record on its own, seconds
 * later, after the records sent behind it — a record's older state would then
 * land after its newer one and stay the compacted changelog's last word — and
 * a pass could end while some of its sends were still pending. Here a pass
 * sends its rows in seq order through one idempotent producer, stops sending
 * at the first failure, and ends only when every send it made is settled.
 */
@Named("kafka")
@ApplicationScoped
public class KafkaSink implements EventSink {

    private final Map<String, Object> kafkaConfig;
    private final TidemarkConfig config;
    private final MeterRegistry metrics;
    private volatile Producer<String, String> producer;
    private KafkaClientMetrics producerMetrics;

    public KafkaSink(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, TidemarkConfig config, MeterRegistry metrics) {
        this.kafkaConfig = kafkaConfig;
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * The application's Kafka settings (bootstrap servers, security: every
     * {@code kafka.*} property), with what the relay needs on top: every
     * in-sync replica acknowledges, idempotence keeps a partition's order
     * through the producer's own retries, and no lingering (a pass sends its
     * rows at once and then waits for them).
     */
    @Override
    public void open() {
        Map<String, Object> settings = new HashMap<>(kafkaConfig);
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, "tidemark-relay");
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        settings.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        settings.keySet().removeIf(key -> key.startsWith("key.") || key.startsWith("value.") || !ProducerConfig.configNames().contains(key)
                && !key.startsWith("sasl.") && !key.startsWith("ssl.") && !key.equals("security.protocol"));
        KafkaProducer<String, String> created = new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer());
        producerMetrics = new KafkaClientMetrics(created);
        producerMetrics.bindTo(metrics);
        producer = created;
    }

    @Override
    public void close() {
        if (producer != null) {
            producerMetrics.close();
            producer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public Published publish(List<Claimed> claimed) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(claimed.size());
        RuntimeException failure = null;
        for (Claimed row : claimed) {
            String topic = OutboxEntry.RECORDS.equals(row.topic()) ? config.topics().records() : config.topics().events();
            Future<RecordMetadata> send;
            try {
                send = producer.send(new ProducerRecord<>(topic, row.key(), row.payload()));
            } catch (RuntimeException e) {
                failure = e;
                break;
            }
            sends.add(send);
            // The producer answers some failures at once (no metadata within max.block.ms): send nothing after
            // them. The loop below finds that failure among the sends and fails the pass with it.
            if (send.isDone()) {
                Throwable early = settle(send);
                if (early != null && refusal(early) == null) {
                    break;
                }
            }
        }
        Map<Claimed, String> refused = new LinkedHashMap<>();
        for (int i = 0; i < sends.size(); i++) {
            Throwable error = settle(sends.get(i));
            if (error == null) {
                continue;
            }
            String reason = refusal(error);
            if (reason != null) {
                refused.put(claimed.get(i), reason);
            } else if (failure == null) {
                failure = error instanceof RuntimeException runtime ? runtime : new IllegalStateException(error);
            }
        }
        return new Published(refused, Optional.ofNullable(failure));
    }

    /** Waits for a send; its failure, or null. */
    private static Throwable settle(Future<RecordMetadata> send) {
        try {
            send.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    /** Why Kafka will never take this record, or null if it might later (or the failure is not the record's). */
    private static String refusal(Throwable error) {
        return error instanceof RecordTooLargeException ? "too large for Kafka: " + error.getMessage() : null;
    }
}
