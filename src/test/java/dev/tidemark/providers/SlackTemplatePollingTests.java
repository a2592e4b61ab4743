package dev.tidemark.providers;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.poller.SyncRun;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.SlackApi;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The slack template's poller and Events API endpoint ({@code slacktemplate} in application.yaml's test profile)
 * against an API shaped like Slack's Web API ({@link SlackApi}: {@code response_metadata.next_cursor}, errors as
 * {@code 200 {"ok": false}}, 429 with Retry-After) holding the members of Slack's own users.list example.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class SlackTemplatePollingTests {

    @Inject
    ResourceSync sync;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    SlackApi slack;
    String prefix;

    @BeforeEach
    void fresh() {
        TemplateRuns.settle(pool, "slacktemplate", 1);
        slack = ProviderSimulatorResource.slack();
        slack.clear();
        prefix = "U" + Long.toString(System.nanoTime(), 36).toUpperCase();
    }

    SyncRun run(SyncMode mode) {
        return TemplateRuns.run(sync, "slacktemplate", "users", mode, Duration.ofSeconds(90));
    }

    @Test
    void membersArePagedByTheNextCursorThrough429sAndADeactivationIsKeptFlagged() {
        List<ObjectNode> published = SlackApi.publishedMembers();
        published.forEach(slack::put);   // W012A3CDE and W07QCRPA4, as Slack's docs publish them
        for (int i = 0; i < 448; i++) {
            ObjectNode member = published.get(i % 2).deepCopy();
            slack.put(member.put("id", prefix + String.format("%03d", i)).put("updated", 1_700_000_000L + i));
        }
        slack.rateLimitEvery(2);   // every other call: 429, Retry-After 1

        SyncRun full = run(SyncMode.FULL);
        assertThat(full.status()).isEqualTo("completed");
        assertThat(full.records()).isEqualTo(450);
        assertThat(full.rateLimitWaits()).isPositive();
        List<String> lists = slack.calls().stream().filter(call -> call.startsWith("GET /api/users.list")).distinct().toList();
        // 200 a page, each next page asked for with the cursor the last one gave: three pages, each asked again after its 429.
        assertThat(lists).hasSize(3);
        assertThat(lists.get(0)).isEqualTo("GET /api/users.list?limit=200");
        assertThat(lists.get(1)).startsWith("GET /api/users.list?cursor=").endsWith("&limit=200");
        Records.await("slacktemplate/users/W012A3CDE", r -> r.body("data.profile.real_name", equalTo("Egon Spengler"))
                .body("updatedAt", equalTo("2017-08-07T20:44:46Z")));
        Records.awaitExists("slacktemplate/users/" + prefix + "447");

        // A member deactivated: still listed, with deleted: true and a later updated.
        slack.rateLimitEvery(0);
        slack.put(published.get(0).deepCopy().put("deleted", true).put("updated", 1_800_000_000L));
        assertThat(run(SyncMode.INCREMENTAL).status()).isEqualTo("completed");
        Records.await("slacktemplate/users/W012A3CDE", r -> r.body("data.deleted", equalTo(true)).body("deleted", equalTo(false)));
    }

    @Test
    void aSignedUserChangeIsStoredAndSlacksUrlCheckAnswered() throws Exception {
        ObjectNode event = SlackTemplateTest.wrapped(SlackTemplateTest.read("events.json").get("user_change"));
        ((ObjectNode) event.at("/event/user")).put("id", prefix + "W").put("updated", Instant.now().getEpochSecond());
        post(event.toString()).then().statusCode(202).body("changes", equalTo(1));
        Records.await("slacktemplate/users/" + prefix + "W", r -> r.body("data.name", equalTo("some-user")));

        String check = "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\","
                + "\"type\":\"url_verification\"}";
        post(check).then().statusCode(200).body(equalTo("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
    }

    static io.restassured.response.Response post(String body) throws Exception {
        String ts = Long.toString(Instant.now().getEpochSecond());
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("slacktemplate-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = "v0=" + java.util.HexFormat.of().formatHex(mac.doFinal(("v0:" + ts + ":" + body).getBytes(StandardCharsets.UTF_8)));
        return given().contentType("application/json").header("X-Slack-Request-Timestamp", ts).header("X-Slack-Signature", signature)
                .body(body).post("/webhooks/slacktemplate");
    }
}
