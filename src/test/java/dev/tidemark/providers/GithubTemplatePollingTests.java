package dev.tidemark.providers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.support.GithubApi;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The github template's poller ({@code ghtemplate} in application.yaml's test profile) against an API shaped like
 * GitHub's REST API ({@link GithubApi}: Link headers naming the repository by id, since, X-RateLimit-*, a 403 without
 * User-Agent) holding issues made from GitHub's own published example of one.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class GithubTemplatePollingTests {

    @Inject
    ResourceSync sync;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    GithubApi github;
    long base;

    @BeforeEach
    void fresh() {
        TemplateRuns.settle(pool, "ghtemplate", 3);
        github = ProviderSimulatorResource.github();
        github.clear();
        base = 100_000 + System.nanoTime() % 1_000_000 * 1_000;
    }

    SyncRun run(SyncMode mode) {
        return TemplateRuns.run(sync, "ghtemplate", "issues", mode, Duration.ofSeconds(90));
    }

    /** GitHub's published issue (the first issues example of @octokit/webhooks-examples), renumbered. */
    static ObjectNode issue(long number, Instant updatedAt) throws Exception {
        for (JsonNode event : GithubTemplateTest.examples()) {
            if (event.get("name").asText().equals("issues")) {
                ObjectNode issue = (ObjectNode) event.get("examples").get(0).get("issue").deepCopy();
                return issue.put("number", number).put("updated_at", updatedAt.toString()).put("title", "Issue " + number);
            }
        }
        throw new IllegalStateException("no issues example");
    }

    @Test
    void issuesArePagedByTheLinkHeaderFromWhereTheLastPollStoppedAndDeletionsFoundBySweeps() throws Exception {
        Instant t = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < 250; i++) {
            github.put(issue(base + i, t.plusSeconds(i)));
        }
        SyncRun full = run(SyncMode.FULL);
        assertThat(full.status()).as(full.error().orElse("")).isEqualTo("completed");
        assertThat(full.records()).isEqualTo(250);
        List<String> lists = github.calls().stream().filter(c -> c.contains("/issues?")).toList();
        // Every call carried a User-Agent (GitHub answers 403 without one); 100 a page, then the Link header's URL as given.
        assertThat(lists).hasSize(3);
        assertThat(lists.get(0)).isEqualTo("GET /repos/o/r/issues?direction=asc&per_page=100&sort=updated&state=all");
        assertThat(lists.get(1)).startsWith("GET /repositories/1296269/issues?").endsWith("&page=2");
        Records.await("ghtemplate/issues/" + (base + 249), r -> r.body("data.title", equalTo("Issue " + (base + 249)))
                .body("updatedAt", equalTo("2026-11-01T00:04:09Z")));

        // An issue edited later: the next poll asks only for what changed since the last one it saw.
        github.put(issue(base + 3, Instant.parse("2026-11-20T00:00:00Z")));
        assertThat(run(SyncMode.INCREMENTAL).status()).isEqualTo("completed");
        assertThat(github.calls()).last().asString().contains("since=2026-11-01T00%3A04%3A09Z");
        Records.await("ghtemplate/issues/" + (base + 3), r -> r.body("updatedAt", equalTo("2026-11-20T00:00:00Z")));

        // An issue deleted at GitHub whose webhook was lost only leaves the list: the sweep deletes it.
        github.delete(base + 4);
        assertThat(run(SyncMode.RECONCILE).status()).isEqualTo("completed");
        Records.await("ghtemplate/issues/" + (base + 4), r -> r.body("deleted", equalTo(true)));
    }
}
