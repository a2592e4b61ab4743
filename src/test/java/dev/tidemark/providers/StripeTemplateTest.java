package dev.tidemark.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.stripe.net.Webhook;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.config.ConfigFixtures;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.receiver.DeliveryMapper;
import dev.tidemark.receiver.MappingResult;
import dev.tidemark.receiver.signature.SchemeKind;
import dev.tidemark.receiver.signature.SignatureScheme;
import dev.tidemark.receiver.signature.SignedRequest;
import dev.tidemark.support.StripeApi;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stripe template against Stripe's own published material (src/test/resources/providers/stripe/NOTICE.md):
 * stripe-java's webhook event fixtures map to the right resource, id, updated_at and upsert or delete, or are refused
 * where Stripe's 2012 objects carry no id; Stripe's own signer's headers verify with the template's scheme.
 */
public class StripeTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Five lines, as the README shows them. */
    static final TidemarkConfig CONFIG = ConfigFixtures.load("""
            tidemark:
              sources:
                stripe:
                  template: stripe
                  webhook: {secrets: [whsec_test_secret]}
                  api: {auth: {token: sk_test_example}}
            """);

    private static final DeliveryMapper MAPPER = new DeliveryMapper("stripe", CONFIG.sources().get("stripe"));

    @Test
    void stripeJavasEventFixturesOfTheCoveredTypesMapToTheirRecords() throws IOException {
        JsonNode events = read("webhook-events.json");
        int fed = 0;
        int mapped = 0;
        int withoutId = 0;
        for (JsonNode event : events) {
            fed++;
            String type = event.get("type").asText();
            MappingResult result = MAPPER.map(event, Map.of(), "d-" + fed, Instant.now());
            JsonNode object = event.at("/data/object");
            if (!object.has("id")) {
                // Stripe's 2012 subscriptions had no id: refused, naming it, rather than stored under a made-up one.
                assertThat(type).as("only 2012 subscriptions lack an id").startsWith("customer.subscription.");
                assertThat(result).as(type).isInstanceOfSatisfying(MappingResult.Invalid.class,
                        invalid -> assertThat(invalid.field()).endsWith("id"));
                withoutId++;
                continue;
            }
            assertThat(result).as(type).isInstanceOf(MappingResult.Changes.class);
            List<ChangeEnvelope> changes = ((MappingResult.Changes) result).changes();
            assertThat(changes).as(type).hasSize(1);
            ChangeEnvelope change = changes.get(0);
            // What Stripe documents: the object's type names the resource, the event's created is when it changed.
            String resource = type.startsWith("invoice.") ? "invoices" : "customers";
            Op op = type.endsWith(".deleted") ? Op.DELETE : Op.UPSERT;
            assertThat(change.resource()).as(type).isEqualTo(resource);
            assertThat(change.id()).as(type).isEqualTo(object.get("id").asText());
            assertThat(change.updatedAt()).as(type).isEqualTo(Instant.ofEpochSecond(event.get("created").asLong()));
            assertThat(change.op()).as(type).isEqualTo(op);
            if (op == Op.UPSERT) {
                assertThat(change.data()).isEqualTo(object);
            }
            mapped++;
        }
        assertThat(fed).isEqualTo(11);
        assertThat(mapped).isEqualTo(7);
        assertThat(withoutId).isEqualTo(4);

        // stripe-java's api_fixtures/customer_created.json, an event of API version 2017-08-15.
        JsonNode created = read("customer_created.json");
        ChangeEnvelope change = ((MappingResult.Changes) MAPPER.map(created, Map.of(), "d-c", Instant.now())).changes().get(0);
        assertThat(change.resource()).isEqualTo("customers");
        assertThat(change.id()).isEqualTo("cus_00000000000000");
        assertThat(change.updatedAt()).isEqualTo(Instant.ofEpochSecond(1326853478));
        assertThat(change.data().get("name").asText()).isEqualTo("Test Platform");
    }

    @Test
    void stripesCurrentObjectsMapAsTheirEventsDeliverThem() {
        // fixtures3.json holds one event (plan.created: plans are not covered) and today's objects; each covered
        // object in the envelope Stripe documents for its event, and a subscription is kept through its cancellation.
        for (String type : List.of("customer", "subscription", "invoice", "product", "price")) {
            ObjectNode object = StripeApi.fixture(type);
            String eventType = (type.equals("subscription") ? "customer.subscription" : type) + ".updated";
            ObjectNode event = StripeApi.fixture("event").put("type", eventType).put("created", 1722000000L);
            event.putObject("data").set("object", object);
            ChangeEnvelope change = ((MappingResult.Changes) MAPPER.map(event, Map.of(), "d-" + type, Instant.now())).changes().get(0);
            assertThat(change.id()).as(type).isEqualTo(object.get("id").asText());
            assertThat(change.resource()).as(type).isEqualTo(type + "s");
            assertThat(change.op()).isEqualTo(Op.UPSERT);
            assertThat(change.updatedAt()).isEqualTo(Instant.ofEpochSecond(1722000000L));
        }
        ObjectNode canceled = StripeApi.fixture("subscription").put("status", "canceled");
        ObjectNode deleted = StripeApi.fixture("event").put("type", "customer.subscription.deleted");
        deleted.putObject("data").set("object", canceled);
        ChangeEnvelope change = ((MappingResult.Changes) MAPPER.map(deleted, Map.of(), "d-s", Instant.now())).changes().get(0);
        assertThat(change.op()).as("a canceled subscription stays readable at Stripe, and here").isEqualTo(Op.UPSERT);
        assertThat(change.data().get("status").asText()).isEqualTo("canceled");
        // An event the template does not cover (plans: prices replaced them) is acknowledged and changes nothing.
        assertThat(MAPPER.map(StripeApi.fixture("event"), Map.of(), "d-p", Instant.now())).isInstanceOf(MappingResult.Ignored.class);
    }

    @Test
    void headersStripesOwnSignerMakesVerifyAndTamperedOnesDoNot() throws Exception {
        String body = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";   // stripe-java WebhookTest's payload
        long now = Instant.now().getEpochSecond();
        String signature = Webhook.Util.computeHmacSha256("whsec_test_secret", now + "." + body);
        assertThat(verifies(body, "t=" + now + ",v1=" + signature)).isTrue();
        // Stripe sends several v1 during a secret's rotation: any may match.
        assertThat(verifies(body, "t=" + now + ",v1=" + "0".repeat(64) + ",v1=" + signature + ",v0=abc")).isTrue();
        assertThat(verifies(body + " ", "t=" + now + ",v1=" + signature)).isFalse();
        assertThat(verifies(body, "t=" + (now + 1) + ",v1=" + signature)).isFalse();
        String old = Webhook.Util.computeHmacSha256("whsec_test_secret", (now - 301) + "." + body);
        assertThat(verifies(body, "t=" + (now - 301) + ",v1=" + old)).as("older than the 5 minutes' tolerance").isFalse();
    }

    private static boolean verifies(String body, String header) {
        SignatureScheme scheme = SchemeKind.create(CONFIG.sources().get("stripe").webhook().orElseThrow(), List.of("whsec_test_secret"));
        SignedRequest request = new SignedRequest(body.getBytes(StandardCharsets.UTF_8),
                name -> name.equalsIgnoreCase("Stripe-Signature") ? header : null);
        return scheme.verify(request, Instant.now()).valid();
    }

    private static JsonNode read(String name) throws IOException {
        try (InputStream in = StripeTemplateTest.class.getResourceAsStream("/providers/stripe/" + name)) {
            return JSON.readTree(in);
        }
    }
}
