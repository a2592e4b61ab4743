package dev.tidemark.providers;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.ShopifyApi;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shopify template's poller and webhooks ({@code shopifytemplate} in application.yaml's test profile) against an
 * API shaped like Shopify's REST Admin API ({@link ShopifyApi}: Link headers with page_info, its leaky bucket and
 * 429s) holding Shopify's own published product example, ids beyond 2^53 included.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class ShopifyTemplatePollingTests {

    @Inject
    ResourceSync sync;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    ShopifyApi shopify;
    BigInteger base;

    @BeforeEach
    void fresh() {
        TemplateRuns.settle(pool, "shopifytemplate", 3);
        shopify = ProviderSimulatorResource.shopify();
        shopify.clear();
        // Above 2^53, as Shopify's ids are: a double would lose the last digits.
        base = new BigInteger("788032119674292922").add(BigInteger.valueOf(System.nanoTime() % 1_000_000_000L * 1_000));
    }

    SyncRun run(String resource, SyncMode mode) {
        return TemplateRuns.run(sync, "shopifytemplate", resource, mode, Duration.ofSeconds(90));
    }

    ObjectNode product(int i) throws Exception {
        JsonNode examples = ShopifyTemplateTest.examples();
        JsonNode published = examples.get("products/update");
        ObjectNode product = (ObjectNode) published.get(published.size() - 1).get("body").deepCopy();
        return product.put("id", base.add(BigInteger.valueOf(i))).put("updated_at", "2026-11-30T10:00:00-05:00")
                .put("title", "Example T-Shirt " + i);
    }

    @Test
    void productsArePagedByTheLinkHeaderThroughTheBucketAndKeptDigitForDigit() throws Exception {
        for (int i = 0; i < 600; i++) {
            shopify.put("products", product(i));
        }
        shopify.bucket(1, 0.5);   // a bucket of 1 emptied at 0.5 a second: a call within 2 s of the last is a 429
        SyncRun full = run("products", SyncMode.FULL);
        assertThat(full.status()).isEqualTo("completed");
        assertThat(full.records()).isEqualTo(600);
        assertThat(full.rateLimitWaits()).as("the bucket's 429s waited out").isPositive();
        List<String> lists = shopify.calls().stream().filter(call -> call.startsWith("GET /admin/api/2026-07/products.json")).distinct().toList();
        // 250 a page; each next page is the Link header's URL as given (page_info and limit only, as Shopify requires).
        assertThat(lists).hasSize(3);
        assertThat(lists.get(0)).isEqualTo("GET /admin/api/2026-07/products.json?limit=250");
        assertThat(lists.get(1)).startsWith("GET /admin/api/2026-07/products.json?limit=250&page_info=");
        String first = base.toString();
        Records.await("shopifytemplate/products/" + first, r -> r.body("data.title", equalTo("Example T-Shirt 0"))
                .body("updatedAt", equalTo("2026-11-30T15:00:00Z")));
        Records.awaitExists("shopifytemplate/products/" + base.add(BigInteger.valueOf(599)));

        // A product deleted at Shopify and its webhook lost: the sweep finds it.
        shopify.bucket(40, 1_000);
        shopify.delete("products", base.add(BigInteger.valueOf(5)));
        assertThat(run("products", SyncMode.RECONCILE).status()).isEqualTo("completed");
        Records.await("shopifytemplate/products/" + base.add(BigInteger.valueOf(5)), r -> r.body("deleted", equalTo(true)));
    }

    @Test
    void aSignedProductsDeleteIsStampedWithItsTriggeredAtAndDeletesTheProduct() throws Exception {
        ObjectNode product = product(1);
        String id = product.get("id").bigIntegerValue().toString();
        post("products/update", product.toString(), null).then().statusCode(202).body("changes", equalTo(1));
        Records.await("shopifytemplate/products/" + id, r -> r.body("data.title", equalTo("Example T-Shirt 1")));

        // Shopify's products/delete body, for this product: only its id, the time in X-Shopify-Triggered-At.
        String triggered = Instant.now().toString();
        post("products/delete", "{\"id\":" + id + "}", triggered).then().statusCode(202).body("changes", equalTo(1));
        Records.await("shopifytemplate/products/" + id, r -> r.body("deleted", equalTo(true)));
        // Unsigned: refused.
        given().contentType("application/json").header("X-Shopify-Topic", "products/delete").header("X-Shopify-Hmac-Sha256", "x")
                .body("{\"id\":" + id + "}").post("/webhooks/shopifytemplate").then().statusCode(401);
    }

    static io.restassured.response.Response post(String topic, String body, String triggeredAt) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("shopifytemplate-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = Base64.getEncoder().encodeToString(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        var request = given().contentType("application/json").header("X-Shopify-Topic", topic).header("X-Shopify-Hmac-Sha256", signature)
                .header("X-Shopify-Webhook-Id", UUID.randomUUID().toString());
        if (triggeredAt != null) {
            request = request.header("X-Shopify-Triggered-At", triggeredAt);
        }
        return request.body(body).post("/webhooks/shopifytemplate");
    }
}
