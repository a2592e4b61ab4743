package dev.tidemark.connections;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.Connection;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.secrets.SecretBox;
import dev.tidemark.secrets.SecretsException;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A key rotation over real PostgreSQL: values sealed under the configured key
 * are sealed again under a new one, after which a replica that has only the
 * old key fails loudly on them (naming the key, never a value) instead of
 * calling with garbage.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class SecretRotationTests {

    static final String NEW_KEY = "bmV3LWtleS1mb3ItdGhlLXJvdGF0aW9uLXRlc3QhISE=";

    @Inject
    ConnectionStore store;

    @Inject
    ObjectMapper json;

    @Inject
    Vertx vertx;

    @Inject
    Pool pool;

    @ConfigProperty(name = "tidemark.secrets.key")
    String currentKey;

    @Test
    void aRotationSealsEveryValueAgainAndAnOldKeyAloneThenFailsLoudly() {
        String id = "rotate-" + UUID.randomUUID().toString().substring(0, 8);
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON)
                .body("{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"rotate-me\"},\"variables\":{\"tenant\":\"r\"}}")
                .post("/api/sources/accounts/connections").then().statusCode(201);
        Connection connection = new Connection("accounts", id);
        SecretBox before = SecretBox.of(Optional.of(currentKey), List.of());
        String oldId = before.currentKeyId().orElseThrow();
        given().header("Authorization", Records.TOKEN).get("/api/secrets").then().statusCode(200)
                .body("currentKey", equalTo(oldId));

        // The second deploy of a rotation: the new key is current, the old one still opens.
        SecretBox rotated = SecretBox.of(Optional.of(NEW_KEY), List.of(currentKey));
        ConnectionStore after = new ConnectionStore(rotated, json, vertx, pool);
        int resealed = 0;
        for (int batch; (batch = after.resealBatch(50).await().atMost(Duration.ofSeconds(10))) > 0; ) {
            resealed += batch;
        }
        assertThat(resealed).isGreaterThanOrEqualTo(1);
        Map<String, Long> byKey = after.sealedByKey().await().atMost(Duration.ofSeconds(10));
        assertThat(byKey).doesNotContainKey(oldId).containsKey(rotated.currentKeyId().orElseThrow());
        assertThat(after.credentials(connection).await().atMost(Duration.ofSeconds(10)).orElseThrow().fields())
                .containsEntry("token", "rotate-me");

        // A replica with the old key only: refuses to open, naming the key it lacks, never the value.
        assertThatThrownBy(() -> store.credentials(connection).await().atMost(Duration.ofSeconds(10)))
                .isInstanceOf(SecretsException.class)
                .hasMessageContaining(rotated.currentKeyId().orElseThrow())
                .hasMessageNotContaining("rotate-me");

        // Back: rotate again to the configured key, so the rest of the suite reads every value.
        ConnectionStore back = new ConnectionStore(SecretBox.of(Optional.of(currentKey), List.of(NEW_KEY)), json, vertx, pool);
        while (back.resealBatch(50).await().atMost(Duration.ofSeconds(10)) > 0) {
            // until none is left under the new key
        }
        given().header("Authorization", Records.TOKEN).post("/api/secrets/reseal").then().statusCode(200)
                .body("resealedConnections", equalTo(0)).body("sealedByKey." + oldId, org.hamcrest.Matchers.notNullValue());
        assertThat(store.credentials(connection).await().atMost(Duration.ofSeconds(10)).orElseThrow().fields())
                .containsEntry("token", "rotate-me");
    }

    @Test
    void withoutAKeyACredentialIsRefusedAndNothingIsStored() {
        String id = "nokey-" + UUID.randomUUID().toString().substring(0, 8);
        ConnectionStore keyless = new ConnectionStore(SecretBox.of(Optional.empty(), List.of()), json, vertx, pool);
        Connection connection = new Connection("accounts", id);
        ConnectionSpec spec = new ConnectionSpec(connection, Optional.of(Map.of("token", "never-in-clear")), Map.of("tenant", "k"),
                List.of(), Optional.empty(), null, Map.of(), ConnectionLimits.NONE, ConnectionState.ACTIVE);
        assertThatThrownBy(() -> keyless.create(spec).await().atMost(Duration.ofSeconds(10)))
                .isInstanceOf(SecretsException.class).hasMessageContaining("tidemark.secrets.key").hasMessageNotContaining("never-in-clear");
        assertThat(store.find(connection).await().atMost(Duration.ofSeconds(10))).isEmpty();
    }
}
