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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The github template against GitHub's own published material: every example body of the events it covers
 * (@octokit/webhooks-examples, src/test/resources/providers/github/NOTICE.md) maps to the right resource, id,
 * updated_at and upsert or delete; and GitHub's published signature vectors verify with its scheme.
 */
public class GithubTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    /** Five lines, as the README shows them: the template, the secret, the token, the repository. */
    static final TidemarkConfig CONFIG = ConfigFixtures.load("""
            tidemark:
              sources:
                github:
                  template: github
                  webhook: {secrets: ["It's a Secret to Everybody"]}
                  api: {base-url: "https://api.github.com/repos/octo-org/octo-repo", auth: {token: ghp_example}}
            """);

    /** What an example must become, read from the body the way GitHub documents it, not from the template. */
    private record Expected(String resource, String id, Instant updatedAt, Op op) {
    }

    @Test
    void everyPublishedExampleOfTheCoveredEventsMapsToItsRecord() throws IOException {
        DeliveryMapper mapper = new DeliveryMapper("github", CONFIG.sources().get("github"));
        JsonNode index = examples();
        int fed = 0;
        List<String> mapped = new ArrayList<>();
        for (JsonNode event : index) {
            String name = event.get("name").textValue();
            for (JsonNode example : event.get("examples")) {
                fed++;
                Expected expected = expected(name, example);
                MappingResult result = mapper.map(example, Map.of("x-github-event", name, "x-github-delivery", "d-" + fed),
                        "d-" + fed, NOW);
                assertThat(result).as(name + "." + example.path("action").asText()).isInstanceOf(MappingResult.Changes.class);
                ChangeEnvelope change = ((MappingResult.Changes) result).changes().get(0);
                assertThat(((MappingResult.Changes) result).changes()).hasSize(1);
                assertThat(new Expected(change.resource(), change.id(), change.updatedAt(), change.op()))
                        .as(name + "." + example.path("action").asText()).isEqualTo(expected);
                if (change.op() == Op.UPSERT) {
                    assertThat(change.data()).isEqualTo(example.get(recordOf(name)));
                }
                mapped.add(name + "." + example.path("action").asText());
            }
        }
        // 29 issues, 9 issue_comment, 29 pull_request examples in 7.6.1; deletes among them: issues.deleted, issue_comment.deleted x2.
        assertThat(fed).isEqualTo(67);
        assertThat(mapped).hasSize(67);
        assertThat(mapped.stream().filter(m -> m.endsWith(".deleted"))).hasSize(3);
    }

    @Test
    void githubsPublishedSignatureVectorsVerify() {
        // docs.github.com, "Validating webhook deliveries"
        assertThat(verifies("It's a Secret to Everybody", "Hello, World!",
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")).isTrue();
        // octokit/webhooks-methods.js test/verify.test.ts
        assertThat(verifies("mysecret", "{\n  \"foo\": \"bar\"\n}\n",
                "sha256=e3eccac34c43c7dc1cbb905488b1b81347fcc700a7b025697a9d07862256023f")).isTrue();
        // Its body as octokit's test writes it: JSON text holding an escaped backslash before u001b.
        assertThat(verifies("development", "{\n  \"foo\": \"\\\\u001b\"\n}\n",
                "sha256=87316067e2011fae39998b18c46a14d83b3e7c3ffdd88fb2ee5afb7d11288e60")).isTrue();
        // One character of the body changed, or another secret: refused.
        assertThat(verifies("It's a Secret to Everybody", "Hello, World?",
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")).isFalse();
        assertThat(verifies("mysecret", "Hello, World!",
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")).isFalse();
    }

    private static boolean verifies(String secret, String body, String signature) {
        // The template's scheme, with the vector's secret in place of the source's.
        SignatureScheme scheme = SchemeKind.create(CONFIG.sources().get("github").webhook().orElseThrow(), List.of(secret));
        SignedRequest request = new SignedRequest(body.getBytes(StandardCharsets.UTF_8),
                name -> name.equalsIgnoreCase("X-Hub-Signature-256") ? signature : null);
        return scheme.verify(request, NOW).valid();
    }

    private static Expected expected(String event, JsonNode example) {
        JsonNode record = example.get(recordOf(event));
        String resource = switch (event) {
            case "issues" -> "issues";
            case "issue_comment" -> "issue-comments";
            default -> "pull-requests";
        };
        String id = event.equals("issue_comment") ? record.get("id").asText() : record.get("number").asText();
        Op op = "deleted".equals(example.path("action").asText()) ? Op.DELETE : Op.UPSERT;
        return new Expected(resource, id, Timestamps.parse(record.get("updated_at")).orElseThrow(), op);
    }

    private static String recordOf(String event) {
        return switch (event) {
            case "issues" -> "issue";
            case "issue_comment" -> "comment";
            default -> "pull_request";
        };
    }

    public static JsonNode examples() throws IOException {
        try (InputStream in = new GZIPInputStream(GithubTemplateTest.class.getResourceAsStream("/providers/github/webhooks-examples.json.gz"))) {
            return JSON.readTree(in);
        }
    }
}
