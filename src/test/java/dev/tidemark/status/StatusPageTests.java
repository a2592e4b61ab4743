package dev.tidemark.status;

import dev.tidemark.poller.SyncMode;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.poller.ResourceSync;
import dev.tidemark.poller.SyncTarget;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The status page at {@code /}, loaded in a real headless Chromium (Debian's
 * {@code chromium}) against the running application: it shows each source's
 * resources with their last run and checkpoint, the dead letters and the
 * latest events — as text, never as markup — and asks for the token when it
 * has none. A screenshot lands in target/status-page.png.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class StatusPageTests {

    static final List<String> CHROMIUM = List.of("chromium", "chromium-browser", "google-chrome");

    @TestHTTPResource("/")
    URL page;

    @Inject
    ResourceSync sync;

    @Inject
    ChangePublisher changes;

    static String browser;

    @BeforeAll
    static void findBrowser() {
        browser = CHROMIUM.stream().filter(StatusPageTests::onPath).findFirst().orElse(null);
        // .ci/run installs Debian's chromium; on a machine without one the browser tests cannot run.
        Assumptions.assumeTrue(browser != null, "no chromium on the PATH (apt-get install chromium)");
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Runs headless Chromium on {@code url} with {@code extra} arguments and returns what it printed. */
    static String chromium(String url, String... extra) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-dev-shm-usage", "--virtual-time-budget=8000",
                "--user-data-dir=" + Files.createTempDirectory("chromium")));
        command.addAll(List.of(extra));
        command.add(url);
        Path out = Files.createTempFile("chromium", ".out");
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectOutput(out.toFile()).start();
        boolean finished = process.waitFor(90, TimeUnit.SECONDS);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        assertThat(finished).as("chromium finished within 90 s").isTrue();
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    @Test
    void showsSourcesRunsDeadLettersAndTheLatestEventsAsText() throws Exception {
        ProviderSimulator provider = ProviderSimulatorResource.fresh();
        for (int i = 0; i < 30; i++) {
            provider.put("page-" + i, Instant.parse("2026-08-01T00:00:00Z").plusSeconds(i), i);
        }
        assertThat(sync.run(SyncTarget.of("sim", "cursor-items"), SyncMode.FULL, "api").await().atMost(Duration.ofSeconds(60)))
                .hasValueSatisfying(run -> assertThat(run.status()).isEqualTo("completed"));
        // A record whose id is markup: the page must show it as text.
        String hostile = "<img src=x onerror=alert(1)>" + UUID.randomUUID().toString().substring(0, 6);
        changes.publish(new ChangeEnvelope("lab", "items", hostile, Op.UPSERT, Instant.now(),
                JsonNodeFactory.instance.objectNode().put("amount", 1), Origin.WEBHOOK, "status-page", Instant.now()))
                .await().atMost(Duration.ofSeconds(10));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> io.restassured.RestAssured.given()
                .header("Authorization", Records.TOKEN).get("/api/events?source=lab&limit=5").then().statusCode(200)
                .body("events.subject", org.hamcrest.Matchers.hasItem(hostile)));

        String connection = "status-" + UUID.randomUUID().toString().substring(0, 8);
        io.restassured.RestAssured.given().header("Authorization", Records.TOKEN).contentType("application/json")
                .body("{\"id\":\"" + connection + "\",\"variables\":{\"tenant\":\"s\"},\"credentials\":{\"token\":\"t\"},\"enabled\":false}")
                .post("/api/sources/accounts/connections").then().statusCode(201);

        String dom = chromium(page + "#token=test-token", "--dump-dom");
        // A source with connections: its counts by state, and a page of its connections with their resources' health.
        assertThat(dom).contains("data-connections=\"accounts\"").containsPattern("\\d+ connections: ")
                .containsPattern("[1-9]\\d* paused").contains("per connection");
        assertThat(dom).contains("data-source=\"sim\"").contains("data-source=\"lab\"").contains("cursor-items")
                .contains("full completed, 30 records").contains("webhooks only")
                .contains("id=\"runs-table\"").contains("sim/cursor-items").contains("full (api)")
                .containsPattern("\\d+ dead-lettered, \\d+ not redriven")
                .contains("lab.item.created").contains("tidemark/lab/items");
        // The hostile id is in the page as text, escaped, and made no element.
        assertThat(dom).contains(hostile.replace("<", "&lt;").replace(">", "&gt;")).doesNotContain("<img src=\"x\"");
        assertThat(dom).doesNotContain("test-token");   // the fragment is taken off the address

        Path screenshot = Path.of("target", "status-page.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        chromium(page + "#token=test-token", "--screenshot=" + screenshot, "--window-size=1280,1400", "--hide-scrollbars");
        assertThat(screenshot).exists();
        assertThat(Files.size(screenshot)).isGreaterThan(10_000);
    }

    @Test
    void withoutTheTokenItAsksForItAndWithAWrongOneItSaysSo() throws Exception {
        String none = chromium(page.toString(), "--dump-dom");
        assertThat(none).containsPattern("<form id=\"login\">").containsPattern("<main id=\"status\" hidden=\"\">");
        String wrong = chromium(page + "#token=wrong", "--dump-dom");
        assertThat(wrong).contains("The API refused the token.").containsPattern("<form id=\"login\">");
    }

    @Test
    void itLoadsOnlyItsOwnScriptAndStyleAndIsNeverFramed() {
        io.restassured.RestAssured.given().get("/").then().statusCode(200)
                .header("Content-Security-Policy", org.hamcrest.Matchers.allOf(org.hamcrest.Matchers.containsString("frame-ancestors 'none'"),
                        org.hamcrest.Matchers.containsString("script-src 'self'"), org.hamcrest.Matchers.containsString("default-src 'none'")))
                .header("X-Frame-Options", "DENY")
                .header("X-Content-Type-Options", "nosniff")
                .body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("<script>")))
                .body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("<style>")));
    }
}
