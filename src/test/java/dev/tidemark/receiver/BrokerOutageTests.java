package dev.tidemark.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.SignedWebhook;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Invariant 1 (docs/architecture.md) with the broker really gone: the receiver answers 503
 * with Retry-After instead of a 2xx it cannot keep, and answers 202 again once
 * the broker is back, without a restart of the service.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class BrokerOutageTests {

    @Test
    void noAcknowledgementWithoutKafkaAndRecoveryWithoutARestart() {
        String before = "o-" + UUID.randomUUID();
        SignedWebhook.post(SignedWebhook.order("order.created", before, "2026-11-24T10:00:00Z", "open", 1)).then().statusCode(202);

        LocalInfraResource.stopKafka();
        try {
            for (int i = 0; i < 3; i++) {
                Response response = SignedWebhook.post(
                        SignedWebhook.order("order.created", "o-" + UUID.randomUUID(), "2026-11-24T10:00:00Z", "open", 1));
                assertThat(response.statusCode()).isEqualTo(503);
                assertThat(response.header("Retry-After")).isEqualTo("5");
                assertThat(response.contentType()).startsWith("application/problem+json");
            }
        } finally {
            LocalInfraResource.startKafkaAgain();
        }

        String after = "o-" + UUID.randomUUID();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> SignedWebhook
                .post(SignedWebhook.order("order.created", after, "2026-11-24T10:00:00Z", "open", 1)).statusCode() == 202);
        Records.awaitExists("shop/orders/" + after);
    }
}
