package dev.tidemark.deploy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tidemark.config.ConfigFixtures;
import dev.tidemark.startup.TidemarkConfigCheck;
import dev.tidemark.local.LocalInfraResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/docker-compose.yml, checked without Docker against the files it
 * names and the running application: the image it builds, the port and
 * health path, the configuration its variables name, the sources it mounts,
 * and that the database and broker it points Tidemark at are the ones it starts.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class ComposeFileTests {

    static final Path DEPLOY = Path.of("deploy");

    JsonNode compose() throws IOException {
        return new YAMLMapper().readTree(DEPLOY.resolve("docker-compose.yml").toFile());
    }

    static Map<String, String> environment(JsonNode service) {
        Map<String, String> env = new HashMap<>();
        service.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        return env;
    }

    @Test
    void tidemarkIsBuiltFromTheRepositoryAndListensAndAnswersWhereComposeLooks() throws IOException {
        JsonNode tidemark = compose().path("services").path("tidemark");
        Path context = DEPLOY.resolve(tidemark.path("build").path("context").asText()).normalize();
        Path dockerfile = context.resolve(tidemark.path("build").path("dockerfile").asText());
        assertThat(dockerfile).exists();
        String image = Files.readString(dockerfile);
        assertThat(image).contains("./mvnw -B -q package -Dmaven.test.skip=true").contains("USER 185").contains("EXPOSE 8080");
        assertThat(tidemark.path("ports").get(0).asText()).endsWith(":8080");
        String health = tidemark.path("healthcheck").path("test").get(3).asText();
        // Health is on the management interface (9000 in the image; its test port here).
        assertThat(URI.create(health).getPort()).isEqualTo(9000);
        dev.tidemark.support.Management.given().get(URI.create(health).getPath()).then().statusCode(200);
        assertThat(compose().path("services").fieldNames()).toIterable().contains("postgres", "kafka", "tidemark");
        tidemark.path("depends_on").fields().forEachRemaining(dependency -> {
            assertThat(dependency.getValue().path("condition").asText()).isEqualTo("service_healthy");
            try {
                assertThat(compose().path("services").path(dependency.getKey()).has("healthcheck")).as(dependency.getKey()).isTrue();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void itsVariablesNameWhatTheApplicationReadsAndPointAtTheServersItStarts() throws IOException {
        JsonNode services = compose().path("services");
        Map<String, String> env = environment(services.path("tidemark"));
        String mount = services.path("tidemark").path("volumes").get(0).asText();
        Path sourcesFile = DEPLOY.resolve(mount.substring(0, mount.indexOf(':'))).normalize();
        assertThat(mount.split(":")[1]).isEqualTo(env.get("QUARKUS_CONFIG_LOCATIONS"));
        String sources = Files.readString(sourcesFile);
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        env.keySet().forEach(name -> assertThat(DeployChecks.read(name, sources, dockerfile))
                .as("%s names configuration the application does not read", name).isTrue());
        assertThat(env).containsKeys(DeployChecks.referenced(sources).toArray(String[]::new));

        // With the variables compose gives it, the mounted sources are a configuration Tidemark starts with.
        String resolved = sources;
        for (String name : DeployChecks.referenced(sources)) {
            resolved = resolved.replace("${" + name + "}", env.get(name));
        }
        assertThat(TidemarkConfigCheck.problems(ConfigFixtures.load(resolved))).isEmpty();

        Map<String, String> postgres = environment(services.path("postgres"));
        assertThat(env.get("QUARKUS_DATASOURCE_REACTIVE_URL")).isEqualTo("postgresql://postgres:5432/" + postgres.get("POSTGRES_DB"));
        assertThat(env.get("QUARKUS_DATASOURCE_USERNAME")).isEqualTo(postgres.get("POSTGRES_USER"));
        assertThat(env.get("QUARKUS_DATASOURCE_PASSWORD")).isEqualTo(postgres.get("POSTGRES_PASSWORD"));
        assertThat(environment(services.path("kafka")).get("KAFKA_ADVERTISED_LISTENERS"))
                .isEqualTo("PLAINTEXT://" + env.get("KAFKA_BOOTSTRAP_SERVERS"));
    }
}
