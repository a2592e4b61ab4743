package dev.tidemark.change;

import dev.tidemark.config.TidemarkConfig;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jboss.logging.Logger;
import java.util.concurrent.TimeoutException;

/**
 * Creates Tidemark's topics when they are missing, so a first run works
 * without an administrator and the processor's consumer finds its topic at
 * once. The changelog topic is compacted: it is a table, keyed by record.
 * Existing topics are never altered. Kafka's own Admin client does the work;
 * the Quarkus Kafka extension offers no topic management.
 */
@ApplicationScoped
public class TopicSetup {

    private static final Logger LOG = Logger.getLogger(TopicSetup.class);

    private final TidemarkConfig config;
    private final Map<String, Object> kafka;

    public TopicSetup(TidemarkConfig config, @Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.config = config;
        this.kafka = kafka;
    }

    void onStart(@Observes StartupEvent event) throws InterruptedException {
        if (!config.topics().create()) {
            return;
        }
        TidemarkConfig.Topics topics = config.topics();
        Optional<Short> replication = topics.replicationFactor() > 0 ? Optional.of(topics.replicationFactor()) : Optional.empty();
        Optional<Integer> partitions = Optional.of(topics.partitions());
        List<NewTopic> wanted = new ArrayList<>(List.of(
                new NewTopic(topics.changes(), partitions, replication),
                new NewTopic(topics.changesDlq(), partitions, replication),
                new NewTopic(topics.events(), partitions, replication),
                new NewTopic(topics.records(), partitions, replication)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
        try (Admin admin = Admin.create(new HashMap<>(kafka))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            wanted.removeIf(topic -> existing.contains(topic.name()));
            if (wanted.isEmpty()) {
                return;
            }
            for (var result : admin.createTopics(wanted).values().entrySet()) {
                try {
                    result.getValue().get(30, TimeUnit.SECONDS);
                    LOG.infof("created Kafka topic %s", result.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not create the Kafka topics " + wanted
                    + " (set tidemark.topics.create=false if they are managed elsewhere)", e);
        }
    }
}
