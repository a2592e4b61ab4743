package dev.tidemark.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.startup.TidemarkConfigCheck;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProviderTemplatesTest {

    /** The source's own keys win; a list it sets replaces the template's whole; the rest is the template's. */
    @Test
    void aSourcesOwnKeysWinOverItsTemplateAndAListWinsWhole() {
        TidemarkConfig config = ConfigFixtures.load("""
                tidemark:
                  sources:
                    gh:
                      template: github
                      webhook: {secrets: [s], delivery-id-header: X-Other}
                      api: {base-url: "https://ghe.example.com/api/v3/repos/o/r", auth: {token: t}}
                      resources:
                        issues:
                          webhook: {events: [issues_custom]}
                          schedule: 5m
                """);
        TidemarkConfig.Source github = config.sources().get("gh");
        TidemarkConfig.Resource issues = github.resources().get("issues");
        assertThat(issues.webhook().orElseThrow().events()).contains(List.of("issues_custom"));
        assertThat(issues.schedule()).contains(Duration.ofMinutes(5));
        assertThat(issues.id()).isEqualTo("/number");
        assertThat(issues.webhook().orElseThrow().record()).contains("/issue");
        assertThat(issues.webhook().orElseThrow().deleteWhen()).contains("event.action == 'deleted'");
        assertThat(github.webhook().orElseThrow().deliveryIdHeader()).contains("X-Other");
        assertThat(github.webhook().orElseThrow().scheme()).isEqualTo("github");
        assertThat(github.api().orElseThrow().baseUrl()).isEqualTo("https://ghe.example.com/api/v3/repos/o/r");
        assertThat(github.resources()).containsOnlyKeys("issues", "issue-comments", "pull-requests");
        assertThat(TidemarkConfigCheck.problems(config)).isEmpty();
        // Another source without a template gets nothing of it.
        TidemarkConfig two = ConfigFixtures.load("""
                tidemark:
                  sources:
                    gh: {template: github, webhook: {secrets: [s]}, api: {base-url: "https://api.github.com/repos/o/r", auth: {token: t}}}
                    plain: {webhook: {scheme: hmac, secrets: [s]}, resources: {things: {webhook: {events: [thing]}}}}
                """);
        assertThat(two.sources().get("plain").resources()).containsOnlyKeys("things");
        assertThat(two.sources().get("plain").webhook().orElseThrow().eventTypeHeader()).isEmpty();
    }

    @Test
    void aTemplateThatDoesNotExistIsNamedAtStartUp() {
        TidemarkConfig config = ConfigFixtures.load("""
                tidemark:
                  sources:
                    lab: {template: gitlab, webhook: {scheme: hmac, secrets: [s]}}
                """);
        assertThat(TidemarkConfigCheck.problems(config))
                .anySatisfy(problem -> assertThat(problem).startsWith("tidemark.sources.lab.template: no template named 'gitlab'"));
    }

    /** Every template starts with nothing but its secrets and credentials: its own settings pass the start-up checks. */
    @Test
    void everyTemplateIsAValidSourceOnceItsSecretsAreGiven() {
        for (String name : ProviderTemplates.NAMES) {
            TidemarkConfig config = ConfigFixtures.load("""
                    tidemark:
                      receiver: {public-url: "https://hooks.example.com"}
                      sources:
                        s:
                          template: %s
                          webhook: {secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]}
                          api: {base-url: "https://api.example.com", auth: {token: t, username: "agent@example.com/token", password: t}}
                    """.formatted(name));
            assertThat(TidemarkConfigCheck.problems(config)).as(name).isEmpty();
        }
    }
}
