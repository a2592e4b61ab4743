package dev.tidemark.providers;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.stripe.net.Webhook;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.StripeApi;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stripe template's poller and webhook, as the README's five lines set them up ({@code stripetemplate} in
 * application.yaml's test profile), against an API shaped like Stripe's ({@link StripeApi}: newest first,
 * {@code starting_after} and {@code has_more}, deleted objects answered with {@code deleted: true}) holding
 * Stripe's own published objects.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class StripeTemplatePollingTests {

    @Inject
    ResourceSync sync;

    @Inject
    ChangePublisher changes;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    StripeApi stripe;
    String prefix;

    @BeforeEach
    void fresh() {
        TemplateRuns.settle(pool, "stripetemplate", 5);
        stripe = ProviderSimulatorResource.stripe();
        stripe.clear();
        prefix = "cus_" + Long.toString(System.nanoTime(), 36) + "_";
    }

    ObjectNode customer(int i) {
        ObjectNode customer = StripeApi.fixture("customer");
        return customer.put("id", prefix + String.format("%03d", i)).put("created", 1_722_000_000L + i)
                .put("email", "customer" + i + "@example.com");
    }

    SyncRun run(String resource, SyncMode mode) {
        return TemplateRuns.run(sync, "stripetemplate", resource, mode, Duration.ofSeconds(60));
    }

    @Test
    void customersArePagedAfterEachPagesLastIdChangesAreFoundByContentAndDeletionsBySweepsAndRefetches() {
        for (int i = 0; i < 250; i++) {
            stripe.put("customers", customer(i));
        }
        SyncRun full = run("customers", SyncMode.FULL);
        assertThat(full.status()).isEqualTo("completed");
        assertThat(full.records()).isEqualTo(250);
        // Newest first, 100 a page, each page after the last id of the one before, until has_more is false.
        List<String> lists = stripe.calls().stream().filter(call -> call.startsWith("GET /v1/customers?")).toList();
        assertThat(lists).containsExactly("GET /v1/customers?limit=100", "GET /v1/customers?limit=100&starting_after=" + prefix + "150",
                "GET /v1/customers?limit=100&starting_after=" + prefix + "050");
        Records.await("stripetemplate/customers/" + prefix + "000", r -> r.body("data.email", equalTo("customer0@example.com"))
                .body("data.object", equalTo("customer")));
        Records.awaitExists("stripetemplate/customers/" + prefix + "249");

        // One customer changes, one is deleted: a poll (a whole walk, Stripe has no updated-since) sends on the change;
        // the sweep finds the deletion that no webhook brought.
        stripe.put("customers", customer(7).put("email", "changed@example.com"));
        stripe.delete("customers", prefix + "008");
        SyncRun poll = run("customers", SyncMode.INCREMENTAL);
        assertThat(poll.status()).isEqualTo("completed");
        Records.await("stripetemplate/customers/" + prefix + "007", r -> r.body("data.email", equalTo("changed@example.com")));
        assertThat(run("customers", SyncMode.RECONCILE).status()).isEqualTo("completed");
        Records.await("stripetemplate/customers/" + prefix + "008", r -> r.body("deleted", equalTo(true)));

        // Stripe answers a deleted customer 200 {"id", "object", "deleted": true}: a refetch of it deletes, and never
        // stores that marker as the customer.
        stripe.delete("customers", prefix + "009");
        Instant asked = Instant.now();
        changes.publish(new ChangeEnvelope("stripetemplate", "customers", prefix + "009", Op.REFETCH, asked, null, Origin.WEBHOOK,
                "test-" + UUID.randomUUID(), asked)).await().atMost(Duration.ofSeconds(10));
        Records.await("stripetemplate/customers/" + prefix + "009", r -> r.body("deleted", equalTo(true)));
        assertThat(stripe.calls()).contains("GET /v1/customers/" + prefix + "009");
    }

    @Test
    void canceledSubscriptionsAreListedAndKeptWithTheirStatus() {
        ObjectNode active = StripeApi.fixture("subscription").put("id", "sub_" + prefix + "a").put("created", 1_722_000_001L);
        ObjectNode canceled = StripeApi.fixture("subscription").put("id", "sub_" + prefix + "c").put("created", 1_722_000_002L)
                .put("status", "canceled");
        stripe.put("subscriptions", active);
        stripe.put("subscriptions", canceled);
        assertThat(run("subscriptions", SyncMode.FULL).records()).isEqualTo(2);
        assertThat(stripe.calls()).contains("GET /v1/subscriptions?limit=100&status=all");
        Records.await("stripetemplate/subscriptions/sub_" + prefix + "c", r -> r.body("data.status", equalTo("canceled"))
                .body("deleted", equalTo(false)));
    }

    @Test
    void aWalkCutShortWhoseStartingAfterStripeNoLongerKnowsStartsOverInsteadOfFailingEveryRun() {
        for (int i = 0; i < 150; i++) {
            stripe.put("subscriptions", StripeApi.fixture("subscription").put("id", "sub_" + prefix + String.format("%03d", i))
                    .put("created", 1_722_000_000L + i));
        }
        // One page a run (max-pages 1 in this test source): the walk stops after the newest 100, at sub_…050.
        assertThat(run("subscriptions", SyncMode.FULL).status()).isEqualTo("partial");
        // That subscription is deleted: Stripe now answers 400 to starting_after=sub_…050.
        stripe.delete("subscriptions", "sub_" + prefix + "050");
        SyncRun refused = run("subscriptions", SyncMode.INCREMENTAL);
        assertThat(refused.status()).isEqualTo("failed");
        assertThat(stripe.calls()).last().asString().endsWith("starting_after=sub_" + prefix + "050&status=all");
        // The next run does not ask with that id again: without updated_at to go on from, the walk starts over.
        SyncRun next = run("subscriptions", SyncMode.INCREMENTAL);
        assertThat(next.status()).isEqualTo("partial");
        assertThat(stripe.calls()).last().asString().isEqualTo("GET /v1/subscriptions?limit=100&status=all");
    }

    @Test
    void aSignedCustomerDeletedEventDeletesTheCustomerAPollStored() throws Exception {
        stripe.put("customers", customer(1));
        run("customers", SyncMode.FULL);
        Records.awaitExists("stripetemplate/customers/" + prefix + "001");
        // stripe-java's customer.deleted fixture, for this customer, sent now and signed by Stripe's own signer.
        ObjectNode event = (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                StripeTemplateTest.class.getResourceAsStream("/providers/stripe/webhook-events.json")).get(2);
        assertThat(event.get("type").asText()).isEqualTo("customer.deleted");
        ((ObjectNode) event.at("/data/object")).put("id", prefix + "001");
        event.put("created", Instant.now().getEpochSecond() + 1);
        String body = event.toString();
        long t = Instant.now().getEpochSecond();
        String signature = "t=" + t + ",v1=" + Webhook.Util.computeHmacSha256("whsec_stripetemplate", t + "." + body);
        given().contentType("application/json").header("Stripe-Signature", signature).body(body).post("/webhooks/stripetemplate")
                .then().statusCode(202).body("changes", equalTo(1));
        Records.await("stripetemplate/customers/" + prefix + "001", r -> r.body("deleted", equalTo(true)));
        // Signed with another secret: refused, nothing changes.
        String forged = "t=" + t + ",v1=" + Webhook.Util.computeHmacSha256("whsec_other", t + "." + body);
        given().contentType("application/json").header("Stripe-Signature", forged).body(body).post("/webhooks/stripetemplate")
                .then().statusCode(401);
    }
}
