package dev.tidemark.connections;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.tidemark.change.Connection;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.TenantProvider;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Connections with their own OAuth2 refresh tokens against a token endpoint
 * that rotates them on every use: each connection's rotation is sealed in its
 * own row before its access token is used, so it survives the session; a
 * grant the provider refuses stops that connection alone, until new
 * credentials arrive.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class ConnectionOAuthTests {

    static final String BASE = "/api/sources/oauthaccounts/connections";

    @Inject
    ConnectionStore store;

    private static ValidatableResponse post(String path, String body) {
        return given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body(body).post(path).then();
    }

    private static ValidatableResponse run(String id) {
        String runId = post(BASE + "/" + id + "/resources/items/sync", "{\"mode\":\"full\"}").statusCode(202).extract().path("runId");
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", Records.TOKEN)
                .get("/api/runs/" + runId).then().statusCode(200).body("status", not(equalTo("running"))));
        return given().header("Authorization", Records.TOKEN).get("/api/runs/" + runId).then();
    }

    @Test
    void eachConnectionRotatesItsOwnRefreshTokenAndARefusedGrantStopsOnlyItself() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TenantProvider provider = ProviderSimulatorResource.tenants();
        String good = "good-" + run;
        String bad = "bad-" + run;
        provider.oauthTenant(good, "rt-" + good + "-0");
        provider.oauthTenant(bad, "rt-" + bad + "-0");
        provider.put(good, "g-1", Instant.parse("2026-08-01T00:00:00Z"), "g");
        provider.put(bad, "b-1", Instant.parse("2026-08-01T00:00:00Z"), "b");
        post(BASE, "{\"id\":\"" + good + "\",\"credentials\":{\"refreshToken\":\"rt-" + good + "-0\"},\"variables\":{\"tenant\":\"" + good
                + "\"}}").statusCode(201);
        post(BASE, "{\"id\":\"" + bad + "\",\"credentials\":{\"refreshToken\":\"revoked-long-ago\"},\"variables\":{\"tenant\":\"" + bad
                + "\"}}").statusCode(201);
        post(BASE, "{\"id\":\"x-" + run + "\",\"credentials\":{\"token\":\"t\"},\"variables\":{\"tenant\":\"x\"}}").statusCode(400)
                .body("detail", containsString("credentials.token"));

        run(good).body("status", equalTo("completed")).body("records", equalTo(1));
        // The provider rotated the grant; the new refresh token is the connection's, sealed, before it was used.
        assertThat(provider.grants(good)).isEqualTo(1);
        var stored = store.credentials(new Connection("oauthaccounts", good)).await().atMost(Duration.ofSeconds(10)).orElseThrow();
        assertThat(stored.fields()).containsEntry("refreshToken", provider.refreshToken(good));

        run(bad).body("status", equalTo("failed")).body("error", containsString("re-authorization"));
        given().header("Authorization", Records.TOKEN).get(BASE + "/" + bad).then().body("state", equalTo("needs-reauthorization"))
                .body("stateReason", containsString("invalid_grant"));
        assertThat(given().header("Authorization", Records.TOKEN)
                .get("/api/events?source=oauthaccounts&type=tidemark.connection.needs-reauthorization&limit=500").then().statusCode(200)
                .extract().asString()).contains("\"subject\":\"" + bad + "\"").doesNotContain("revoked-long-ago");
        post(BASE + "/" + bad + "/resources/items/sync", "{}").statusCode(409);

        // The other connection goes on, with the access token it has.
        run(good).body("status", equalTo("completed"));
        assertThat(provider.grants(good)).isEqualTo(1);

        // New credentials: active again, and its grant works.
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON)
                .body("{\"credentials\":{\"refreshToken\":\"" + provider.refreshToken(bad) + "\"}}").patch(BASE + "/" + bad)
                .then().statusCode(200).body("state", equalTo("active"));
        run(bad).body("status", equalTo("completed")).body("records", equalTo(1));
        assertThat(store.credentials(new Connection("oauthaccounts", bad)).await().atMost(Duration.ofSeconds(10)).orElseThrow()
                .fields()).containsEntry("refreshToken", provider.refreshToken(bad));
    }

    @Test
    void anAccessTokenRefusedEvenRightAfterARefreshNeedsReauthorization() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TenantProvider provider = ProviderSimulatorResource.tenants();
        String revoked = "revoked-" + run;
        provider.oauthTenant(revoked, "rt-" + revoked + "-0");
        provider.put(revoked, "r-1", Instant.parse("2026-08-02T00:00:00Z"), "r");
        post(BASE, "{\"id\":\"" + revoked + "\",\"credentials\":{\"refreshToken\":\"rt-" + revoked + "-0\"},\"variables\":{\"tenant\":\""
                + revoked + "\"}}").statusCode(201);
        provider.revoke(revoked);
        // The first token is refused, a fresh one (the refresh token rotating each time) too: no retry cures that.
        run(revoked).body("status", equalTo("failed"));
        assertThat(provider.grants(revoked)).isEqualTo(2);
        given().header("Authorization", Records.TOKEN).get(BASE + "/" + revoked).then().body("state", equalTo("needs-reauthorization"))
                .body("stateReason", containsString("401"));
    }

    @Test
    void aConnectionsOwnClientCredentialsAndAnInvalidClient() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TenantProvider provider = ProviderSimulatorResource.tenants();
        String ok = "cc-" + run;
        String wrong = "ccw-" + run;
        provider.clientTenant(ok, "secret-" + ok);
        provider.clientTenant(wrong, "secret-" + wrong);
        provider.put(ok, "c-1", Instant.parse("2026-08-03T00:00:00Z"), "c");
        String base = "/api/sources/ccaccounts/connections";
        post(base, "{\"id\":\"" + ok + "\",\"credentials\":{\"clientId\":\"cid-" + ok + "\"},\"variables\":{\"tenant\":\"" + ok
                + "\"}}").statusCode(400).body("detail", containsString("credentials.clientSecret"));
        post(base, "{\"id\":\"" + ok + "\",\"variables\":{\"tenant\":\"" + ok + "\"}}").statusCode(400)
                .body("detail", containsString("credentials"));
        post(base, "{\"id\":\"" + ok + "\",\"credentials\":{\"clientId\":\"cid-" + ok + "\",\"clientSecret\":\"secret-" + ok
                + "\"},\"variables\":{\"tenant\":\"" + ok + "\"}}").statusCode(201);
        post(base, "{\"id\":\"" + wrong + "\",\"credentials\":{\"clientId\":\"cid-" + wrong + "\",\"clientSecret\":\"not-it\"},"
                + "\"variables\":{\"tenant\":\"" + wrong + "\"}}").statusCode(201);
        String okRun = post(base + "/" + ok + "/resources/items/sync", "{\"mode\":\"full\"}").statusCode(202).extract().path("runId");
        String wrongRun = post(base + "/" + wrong + "/resources/items/sync", "{\"mode\":\"full\"}").statusCode(202).extract().path("runId");
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().header("Authorization", Records.TOKEN).get("/api/runs/" + okRun).then().body("status", equalTo("completed"))
                    .body("records", equalTo(1));
            given().header("Authorization", Records.TOKEN).get("/api/runs/" + wrongRun).then().body("status", equalTo("failed"));
        });
        given().header("Authorization", Records.TOKEN).get(base + "/" + wrong).then().body("state", equalTo("needs-reauthorization"))
                .body("stateReason", containsString("invalid_client"));
        given().header("Authorization", Records.TOKEN).get(base + "/" + ok).then().body("state", equalTo("active"));
    }
}
