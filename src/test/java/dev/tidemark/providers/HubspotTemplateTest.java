package dev.tidemark.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
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
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The hubspot template against HubSpot's own published material (src/test/resources/providers/hubspot/NOTICE.md): its
 * client library's webhook body maps to a refetch of the contact it names, at its time; its v3 signature vectors verify
 * with the template's scheme.
 */
public class HubspotTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";

    static final TidemarkConfig CONFIG = ConfigFixtures.load("""
            tidemark:
              receiver: {public-url: "https://www.example.com"}
              sources:
                hubspot:
                  template: hubspot
                  webhook: {secrets: [yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy]}
                  api: {auth: {token: pat-na1-example}}
            """);

    private static final DeliveryMapper MAPPER = new DeliveryMapper("hubspot", CONFIG.sources().get("hubspot"));

    @Test
    void hubspotsLibraryExampleIsARefetchOfTheContactAtItsTime() throws Exception {
        byte[] body = example();
        // The bytes HubSpot's own library signs with v1 in its test (sha256 of secret and body): HubSpot's, unchanged.
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                (SECRET + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de");
        JsonNode events = JSON.readTree(body);
        MappingResult result = MAPPER.map(events, Map.of(), "d-1", Instant.now());
        List<ChangeEnvelope> changes = ((MappingResult.Changes) result).changes();
        assertThat(changes).hasSize(1);
        ChangeEnvelope change = changes.get(0);
        assertThat(change.resource()).isEqualTo("contacts");
        assertThat(change.id()).isEqualTo("123");
        assertThat(change.updatedAt()).isEqualTo(Instant.ofEpochMilli(1564113600000L));
        // Thin: the event names the contact; the poller reads it from the CRM API.
        assertThat(change.op()).isEqualTo(Op.REFETCH);
        assertThat(change.data()).isNull();
    }

    @Test
    void aBatchOfSeveralTypesMapsEachEventAndDeletionsDelete() throws Exception {
        // HubSpot sends up to 100 events in one array; its documented types, on the library example's fields.
        ArrayNode batch = JSON.createArrayNode();
        String[][] events = {{"contact.propertyChange", "123"}, {"company.creation", "77"}, {"deal.deletion", "5"},
                {"contact.privacyDeletion", "124"}, {"contact.associationChange", "123"}};
        long at = 1564113600000L;
        for (String[] event : events) {
            ObjectNode e = ((ObjectNode) JSON.readTree(example()).get(0)).deepCopy();
            batch.add(e.put("subscriptionType", event[0]).put("objectId", Long.parseLong(event[1])).put("occurredAt", at++));
        }
        List<ChangeEnvelope> changes = ((MappingResult.Changes) MAPPER.map(batch, Map.of(), "d-2", Instant.now())).changes();
        // contact.associationChange names two objects, not one record's change: not mapped.
        assertThat(changes).extracting(c -> c.resource() + "/" + c.id() + " " + c.op())
                .containsExactly("contacts/123 REFETCH", "companies/77 REFETCH", "deals/5 DELETE", "contacts/124 DELETE");
        assertThat(changes.get(2).updatedAt()).isEqualTo(Instant.ofEpochMilli(1564113600002L));
    }

    @Test
    void hubspotsV3VectorsVerifyWithTheTemplatesScheme() {
        SignatureScheme scheme = SchemeKind.create(CONFIG.sources().get("hubspot").webhook().orElseThrow(), List.of(SECRET));
        byte[] body = "{'example_field':'example_value'}".getBytes(StandardCharsets.UTF_8);
        // hubspot-api-python HEAD: a signing time in epoch milliseconds, checked against the tolerance.
        assertThat(verifies(scheme, body, "1693657560000", "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=",
                Instant.ofEpochMilli(1693657560000L))).isTrue();
        // Its older test signs the time 15000000 (in 1970; a number that short reads as epoch seconds): right at its time,
        // a replay's now.
        assertThat(verifies(scheme, body, "15000000", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", Instant.ofEpochSecond(15000000L)))
                .isTrue();
        assertThat(verifies(scheme, body, "15000000", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", Instant.now())).isFalse();
        assertThat(verifies(scheme, "{'example_field':'other'}".getBytes(StandardCharsets.UTF_8), "1693657560000",
                "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=", Instant.ofEpochMilli(1693657560000L))).isFalse();
    }

    private static boolean verifies(SignatureScheme scheme, byte[] body, String timestamp, String signature, Instant now) {
        Map<String, String> headers = Map.of("x-hubspot-request-timestamp", timestamp, "x-hubspot-signature-v3", signature);
        return scheme.verify(new SignedRequest(body, name -> headers.get(name.toLowerCase()), "https://www.example.com/webhook_uri"), now)
                .valid();
    }

    static byte[] example() throws IOException {
        try (InputStream in = HubspotTemplateTest.class.getResourceAsStream("/providers/hubspot/webhook-example.json")) {
            return in.readAllBytes();
        }
    }
}
