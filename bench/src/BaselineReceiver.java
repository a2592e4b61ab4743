import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The benchmark's baseline: the least a durable receiver can do. Vert.x reads
 * the body, a Kafka producer with Tidemark's settings (acks=all, idempotent)
 * writes the same bytes to the same topic, and the request is answered 202
 * after the acknowledgement. No verification, no parsing, no mapping.
 * Runs on the packaged app's own libraries:
 *
 *   java -cp 'target/quarkus-app/lib/main/*' bench/src/BaselineReceiver.java PORT BOOTSTRAP TOPIC
 */
public class BaselineReceiver {

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", args[1],
                "acks", "all",
                "enable.idempotence", true,
                "max.block.ms", 5000,
                "delivery.timeout.ms", 120000), new StringSerializer(), new ByteArraySerializer());
        String topic = args[2];
        AtomicLong sequence = new AtomicLong();
        Vertx vertx = Vertx.vertx();
        vertx.createHttpServer(new HttpServerOptions().setPort(port)).requestHandler(request ->
                request.body().onSuccess(body -> {
                    var context = vertx.getOrCreateContext();
                    String key = "baseline/orders/" + sequence.incrementAndGet();
                    producer.send(new ProducerRecord<>(topic, key, body.getBytes()), (metadata, error) ->
                            context.runOnContext(ignored -> request.response()
                                    .setStatusCode(error == null ? 202 : 503)
                                    .putHeader("Content-Type", "application/json")
                                    .end(error == null ? "{\"changes\":1}" : "{}")));
                })).listen().onSuccess(server -> System.out.println("baseline listening on " + port));
    }
}
