package dev.tidemark.local;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one) running
 * inside this JVM. Test and dev only: production uses the operator's Kafka.
 */
public final class LocalKafka implements AutoCloseable {

    private final KafkaRaftServer server;
    private final Path logDirectory;
    private final int port;
    private final int controllerPort;

    private LocalKafka(KafkaRaftServer server, Path logDirectory, int port, int controllerPort) {
        this.server = server;
        this.logDirectory = logDirectory;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /**
     * @param logDirectory where topics and metadata live; an already formatted one is reused (dev mode keeps data)
     */
    public static LocalKafka start(Path logDirectory, int port, int controllerPort) {
        try {
            Files.createDirectories(logDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDirectory.toString());
        props.put("num.partitions", "3");
        props.put("auto.create.topics.enable", "true");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "3");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        // A lone local broker has no replicas to keep an acknowledged message through a crash, so by
        // default it syncs every append to disk. TIDEMARK_LOCAL_KAFKA_FLUSH=os leaves flushing to the
        // OS, as production brokers do (their durability is replication): benchmarks use it.
        if (!"os".equals(System.getenv("TIDEMARK_LOCAL_KAFKA_FLUSH"))) {
            props.put("log.flush.interval.messages", "1");
        }
        format(logDirectory);
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        LocalKafka kafka = new LocalKafka(server, logDirectory, port, controllerPort);
        kafka.awaitReady(Duration.ofSeconds(60));
        return kafka;
    }

    private static void format(Path logDirectory) {
        if (Files.exists(logDirectory.resolve("meta.properties"))) {
            // Formatted by an earlier run: keep its cluster id and its data.
            return;
        }
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setClusterId(Uuid.randomUuid().toString())
                    .setNodeId(1)
                    .addDirectory(logDirectory.toString())
                    .setMetadataLogDirectory(logDirectory.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("could not format the Kafka log directory " + logDirectory, e);
        }
    }

    private void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            while (true) {
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("the embedded Kafka broker did not become ready", e);
                    }
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Path logDirectory() {
        return logDirectory;
    }

    int port() {
        return port;
    }

    int controllerPort() {
        return controllerPort;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
