package dev.tidemark.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The zendesk template against Zendesk's published material (src/test/resources/providers/zendesk/NOTICE.md): its
 * reference's event example maps to a read of the user it names; its documented signing verifies, and its one
 * published vector, of an older order, verifies once the source says that order.
 */
public class ZendeskTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final TidemarkConfig CONFIG = ConfigFixtures.load("""
            tidemark:
              sources:
                zendesk:
                  template: zendesk
                  webhook: {secrets: [dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==]}
                  api: {base-url: "https://acme.zendesk.com/api/v2", auth: {username: "agent@acme.com/token", password: t0ken}}
            """);

    private static final DeliveryMapper MAPPER = new DeliveryMapper("zendesk", CONFIG.sources().get("zendesk"));

    @Test
    void zendesksEventExampleIsAReadOfTheUserItNames() throws IOException {
        JsonNode example = example();
        ChangeEnvelope change = ((MappingResult.Changes) MAPPER.map(example, Map.of(), "d-1", Instant.now())).changes().get(0);
        assertThat(change.resource()).isEqualTo("users");
        assertThat(change.id()).isEqualTo("6596848315901");
        assertThat(change.updatedAt()).isEqualTo(Instant.parse("2099-07-04T05:33:18Z"));
        // Thin: the event's detail is some of the user's fields; the user is read from the API.
        assertThat(change.op()).isEqualTo(Op.REFETCH);

        // Organization events share the schema: a deletion deletes, a rename reads the organization.
        ObjectNode deleted = ((ObjectNode) example.deepCopy()).put("type", "zen:event-type:organization.deleted").put("subject", "zen:organization:88");
        ((ObjectNode) deleted.get("detail")).put("id", "88");
        ChangeEnvelope gone = ((MappingResult.Changes) MAPPER.map(deleted, Map.of(), "d-2", Instant.now())).changes().get(0);
        assertThat(gone.resource() + "/" + gone.id() + " " + gone.op()).isEqualTo("organizations/88 DELETE");
        // An event type the template does not cover (an article's) is acknowledged and changes nothing.
        assertThat(MAPPER.map(((ObjectNode) example.deepCopy()).put("type", "zen:event-type:article.published"), Map.of(), "d-3", Instant.now()))
                .isInstanceOf(MappingResult.Ignored.class);
    }

    @Test
    void zendesksDocumentedSigningVerifiesAndItsOlderVectorNeedsItsOlderOrder() throws Exception {
        byte[] body = "{\"say\": \"hello\"}".getBytes(StandardCharsets.UTF_8);
        String time = "2021-07-25T10:00:00Z";
        Instant at = Instant.parse("2021-07-25T10:01:00Z");
        // The current docs: base64(HMACSHA256(TIMESTAMP + BODY)), here with the static secret of Zendesk's test deliveries.
        String testSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
        SignatureScheme scheme = SchemeKind.create(CONFIG.sources().get("zendesk").webhook().orElseThrow(), List.of(testSecret));
        assertThat(verifies(scheme, body, time, hmac(testSecret, time + new String(body, StandardCharsets.UTF_8)), at)).isTrue();
        assertThat(verifies(scheme, body, time, hmac(testSecret, time + new String(body, StandardCharsets.UTF_8)),
                Instant.parse("2021-07-25T10:06:00Z"))).as("six minutes on: a replay").isFalse();

        // The one published vector signs BODY + TIMESTAMP (the order its page gave): refused by the documented order...
        String oldSecret = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=";
        String published = "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=";
        SignatureScheme current = SchemeKind.create(CONFIG.sources().get("zendesk").webhook().orElseThrow(), List.of(oldSecret));
        assertThat(verifies(current, body, time, published, at)).isFalse();
        // ...and verified by a source that sets that order over the template's.
        TidemarkConfig older = ConfigFixtures.load("""
                tidemark:
                  sources:
                    zendesk:
                      template: zendesk
                      webhook: {secrets: ["HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="], hmac: {signed-content: "{body}{timestamp}"}}
                      api: {base-url: "https://acme.zendesk.com/api/v2", auth: {username: u, password: p}}
                """);
        SignatureScheme reordered = SchemeKind.create(older.sources().get("zendesk").webhook().orElseThrow(), List.of(oldSecret));
        assertThat(verifies(reordered, body, time, published, at)).isTrue();
    }

    private static boolean verifies(SignatureScheme scheme, byte[] body, String time, String signature, Instant now) {
        Map<String, String> headers = Map.of("x-zendesk-webhook-signature-timestamp", time, "x-zendesk-webhook-signature", signature);
        return scheme.verify(new SignedRequest(body, name -> headers.get(name.toLowerCase())), now).valid();
    }

    static String hmac(String secret, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return Base64.getEncoder().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    static JsonNode example() throws IOException {
        try (InputStream in = ZendeskTemplateTest.class.getResourceAsStream("/providers/zendesk/event-example.json")) {
            return JSON.readTree(in);
        }
    }
}
