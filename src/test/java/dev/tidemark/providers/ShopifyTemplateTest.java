package dev.tidemark.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Timestamps;
import dev.tidemark.config.ConfigFixtures;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.receiver.DeliveryMapper;
import dev.tidemark.receiver.MappingResult;
import dev.tidemark.receiver.signature.SchemeKind;
import dev.tidemark.receiver.signature.SignatureScheme;
import dev.tidemark.receiver.signature.SignedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The shopify template against Shopify's published examples (src/test/resources/providers/shopify/NOTICE.md): every
 * example body of every covered topic, in every API version from 2023-07 to 2026-07, maps to the right resource, id,
 * updated_at and upsert or delete; a delete's time is its X-Shopify-Triggered-At.
 */
public class ShopifyTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final String TRIGGERED_AT = "2026-12-01T11:59:58.123456Z";

    static final TidemarkConfig CONFIG = ConfigFixtures.load("""
            tidemark:
              sources:
                shopify:
                  template: shopify
                  webhook: {secrets: [steffi]}
                  api: {base-url: "https://acme.myshopify.com/admin/api/2026-07", auth: {token: shpat_example}}
            """);

    @Test
    void everyPublishedExampleOfTheCoveredTopicsMapsToItsRecord() throws IOException {
        DeliveryMapper mapper = new DeliveryMapper("shopify", CONFIG.sources().get("shopify"));
        JsonNode topics = examples();
        int fed = 0;
        int deletes = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = topics.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> topic = it.next();
            for (JsonNode example : topic.getValue()) {
                JsonNode body = example.get("body");
                String resource = topic.getKey().substring(0, topic.getKey().indexOf('/'));
                boolean delete = topic.getKey().endsWith("/delete");
                MappingResult result = mapper.map(body, Map.of("x-shopify-topic", topic.getKey(), "x-shopify-triggered-at", TRIGGERED_AT,
                        "x-shopify-webhook-id", "w-" + fed), "w-" + fed, NOW);
                String as = topic.getKey() + " " + example.get("versions");
                assertThat(result).as(as).isInstanceOf(MappingResult.Changes.class);
                List<ChangeEnvelope> changes = ((MappingResult.Changes) result).changes();
                assertThat(changes).as(as).hasSize(1);
                ChangeEnvelope change = changes.get(0);
                assertThat(change.resource()).as(as).isEqualTo(resource);
                // Digit for digit, as the body carries it (a number beyond 2^53 included).
                assertThat(change.id()).as(as).isEqualTo(body.get("id").bigIntegerValue().toString());
                assertThat(change.op()).as(as).isEqualTo(delete ? Op.DELETE : Op.UPSERT);
                Instant expected = delete ? Instant.parse(TRIGGERED_AT) : Timestamps.parse(body.get("updated_at")).orElseThrow();
                assertThat(change.updatedAt()).as(as).isEqualTo(expected);
                if (!delete) {
                    assertThat(change.data()).isEqualTo(body);
                } else {
                    deletes += example.get("versions").size();
                }
                fed += example.get("versions").size();
            }
        }
        // 15 topics in 13 API versions; the 3 delete topics' examples in every version.
        assertThat(fed).isEqualTo(195);
        assertThat(deletes).isEqualTo(39);
    }

    @Test
    void aDeleteWithoutItsTimeOrWithOneAheadOfArrivalIsRefused() {
        DeliveryMapper mapper = new DeliveryMapper("shopify", CONFIG.sources().get("shopify"));
        JsonNode delete = JSON.createObjectNode().put("id", 788032119674292922L);
        assertThat(mapper.map(delete, Map.of("x-shopify-topic", "products/delete"), "w-a", NOW))
                .isInstanceOf(MappingResult.Invalid.class);
        // Headers are not signed: a time past arrival plus the tolerance would stamp a delete nothing could overtake.
        assertThat(mapper.map(delete, Map.of("x-shopify-topic", "products/delete", "x-shopify-triggered-at", "2026-12-01T13:00:00Z"),
                "w-b", NOW)).isInstanceOf(MappingResult.Invalid.class);
        // orders/edited is an order edit, not an order: acknowledged, changes nothing.
        assertThat(mapper.map(JSON.createObjectNode().putObject("order_edit").put("id", 1), Map.of("x-shopify-topic", "orders/edited"),
                "w-c", NOW)).isInstanceOf(MappingResult.Ignored.class);
    }

    @Test
    void shopifysLibraryVectorVerifiesWithTheTemplatesScheme() {
        SignatureScheme scheme = SchemeKind.create(CONFIG.sources().get("shopify").webhook().orElseThrow(), List.of("steffi"));
        assertThat(verify(scheme, "{\"foo\":\"bar\"}", "/Redz4YXHLnSmmSN8grr5/Jl/Ua3d7yX3iWbjb8R8wo=")).isTrue();
        assertThat(verify(scheme, "{\"foo\":\"baz\"}", "/Redz4YXHLnSmmSN8grr5/Jl/Ua3d7yX3iWbjb8R8wo=")).isFalse();
        assertThat(verify(scheme, "{\"foo\":\"bar\"}", "whoops_this_is_wrong")).isFalse();
    }

    private static boolean verify(SignatureScheme scheme, String body, String signature) {
        return scheme.verify(new SignedRequest(body.getBytes(StandardCharsets.UTF_8),
                name -> name.equalsIgnoreCase("X-Shopify-Hmac-Sha256") ? signature : null), NOW).valid();
    }

    static JsonNode examples() throws IOException {
        try (InputStream in = new GZIPInputStream(ShopifyTemplateTest.class.getResourceAsStream("/providers/shopify/webhook-examples.json.gz"))) {
            return JSON.readTree(in);
        }
    }
}
