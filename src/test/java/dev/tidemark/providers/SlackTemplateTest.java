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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The slack template against Slack's own published examples (src/test/resources/providers/slack/NOTICE.md): its
 * docs' user events in the Events API's wrapper, its URL check, and its signature walkthrough.
 */
public class SlackTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final TidemarkConfig CONFIG = ConfigFixtures.load("""
            tidemark:
              sources:
                slack:
                  template: slack
                  webhook: {secrets: [8f742231b10e8888abcd99yyyzzz85a5]}
                  api: {auth: {token: xoxb-example}}
            """);

    private static final DeliveryMapper MAPPER = new DeliveryMapper("slack", CONFIG.sources().get("slack"));

    /** An inner event in the wrapper the Events API documents for every event. */
    static ObjectNode wrapped(JsonNode event) {
        ObjectNode envelope = JSON.createObjectNode().put("token", "XXYYZZ").put("team_id", "T123ABC456").put("api_app_id", "A123ABC456");
        envelope.set("event", event.deepCopy());
        envelope.put("type", "event_callback").put("event_id", "Ev123ABC456").put("event_time", 123456789);
        return envelope;
    }

    @Test
    void slacksUserEventExamplesMapToTheMember() throws IOException {
        JsonNode examples = read("events.json");
        JsonNode userChange = examples.get("user_change");
        MappingResult result = MAPPER.map(wrapped(userChange), Map.of(), "d-1", Instant.now());
        assertThat(result).isInstanceOf(MappingResult.Changes.class);
        ChangeEnvelope change = ((MappingResult.Changes) result).changes().get(0);
        assertThat(change.resource()).isEqualTo("users");
        assertThat(change.id()).isEqualTo("U1234567");
        assertThat(change.updatedAt()).isEqualTo(Instant.ofEpochSecond(1648596421));
        assertThat(change.op()).isEqualTo(Op.UPSERT);
        assertThat(change.data()).isEqualTo(userChange.get("user"));

        // A deactivated member is a user_change with deleted: true; users.list keeps listing it, so it stays, flagged.
        ObjectNode deactivated = userChange.deepCopy();
        ((ObjectNode) deactivated.get("user")).put("deleted", true).put("updated", 1648600000);
        ChangeEnvelope gone = ((MappingResult.Changes) MAPPER.map(wrapped(deactivated), Map.of(), "d-2", Instant.now())).changes().get(0);
        assertThat(gone.op()).isEqualTo(Op.UPSERT);
        assertThat(gone.data().get("deleted").asBoolean()).isTrue();

        // user_huddle_changed comes with a user_change of the same member at once: not mapped, not doubled.
        assertThat(MAPPER.map(wrapped(examples.get("user_huddle_changed")), Map.of(), "d-3", Instant.now()))
                .isInstanceOf(MappingResult.Ignored.class);
        // The docs' team_join example has an empty user: refused, naming the id, rather than stored under none.
        assertThat(MAPPER.map(wrapped(examples.get("team_join")), Map.of(), "d-4", Instant.now()))
                .isInstanceOfSatisfying(MappingResult.Invalid.class, invalid -> assertThat(invalid.field()).endsWith("id"));
    }

    @Test
    void theUrlCheckIsAnsweredWithItsChallenge() throws IOException {
        // docs.slack.dev, the url_verification event's example.
        JsonNode check = JSON.readTree("{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\","
                + "\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}");
        assertThat(MAPPER.map(check, Map.of(), "d-5", Instant.now()))
                .isEqualTo(new MappingResult.Answer("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
    }

    @Test
    void slacksSignatureWalkthroughVerifiesWithTheTemplatesScheme() {
        String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
                + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
                + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        SignatureScheme scheme = SchemeKind.create(CONFIG.sources().get("slack").webhook().orElseThrow(),
                List.of("8f742231b10e8888abcd99yyyzzz85a5"));
        Map<String, String> headers = Map.of("x-slack-request-timestamp", "1531420618",
                "x-slack-signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
        SignedRequest request = new SignedRequest(body.getBytes(StandardCharsets.UTF_8), name -> headers.get(name.toLowerCase()));
        assertThat(scheme.verify(request, Instant.ofEpochSecond(1531420618)).valid()).isTrue();
        SignedRequest changed = new SignedRequest((body + "x").getBytes(StandardCharsets.UTF_8), name -> headers.get(name.toLowerCase()));
        assertThat(scheme.verify(changed, Instant.ofEpochSecond(1531420618)).valid()).isFalse();
    }

    static JsonNode read(String name) throws IOException {
        try (InputStream in = SlackTemplateTest.class.getResourceAsStream("/providers/slack/" + name)) {
            return JSON.readTree(in);
        }
    }
}
