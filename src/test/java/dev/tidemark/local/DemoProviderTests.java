package dev.tidemark.local;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The local run's demo, against the running application with the demo's own
 * configuration: the late, duplicated and out-of-order webhooks leave each
 * order at its newest version, the order whose webhook never came arrives
 * through the poller, and the demo rule fires once per order that crossed it.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(value = DemoConfigResource.class, restrictToAnnotatedClass = true)
class DemoProviderTests {

    @TestHTTPResource("/")
    URL app;

    @Test
    void theDemoEndsWithEveryOrderAtItsNewestVersionAndOneEventPerCrossing() throws Exception {
        ByteArrayOutputStream story = new ByteArrayOutputStream();
        try (DemoProvider demo = DemoProvider.start(DemoConfigResource.port, DemoConfigResource.accountsPort, app.toURI(), "test-token",
                URI.create("http://localhost:" + dev.tidemark.support.Management.port() + "/q/health/ready"), Duration.ofMillis(50),
                new PrintStream(story, true, StandardCharsets.UTF_8))) {
            Records.await("demo/orders/order-1001", r -> r.body("data.amount", equalTo(12_000)));
            Records.await("demo/orders/order-1003", r -> r.body("data.amount", equalTo(11_000)));
            // Its webhook never came: the poller (every 2 s here, 20 s in the local run) brings it.
            Records.await("demo/orders/order-1002", r -> r.body("data.amount", equalTo(15_000)));
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonPath events = given().header("Authorization", Records.TOKEN).get("/api/events?source=demo&limit=50")
                        .then().statusCode(200).extract().jsonPath();
                List<String> subjects = events.getList("events.findAll { it.type == 'demo.order.crossed-10k' }.subject");
                assertThat(subjects).contains("order-1001", "order-1002", "order-1003");
                assertThat(subjects.stream().filter(s -> s.equals("order-1001")).count()).as("one event per crossing").isEqualTo(1);
                assertThat(events.getString("events.find { it.subject == 'order-1002' && it.type == 'demo.order.crossed-10k' }.data.origin"))
                        .isEqualTo("poll");
            });
        }
        assertThat(story.toString(StandardCharsets.UTF_8)).contains("its webhook is never sent").contains("-> 202")
                .containsPattern("acme's connection is created through the API -> (201|409)");
    }

    @Test
    void theSecondCustomerCreatedWithCurlGetsItsOwnOrdersAndEvents() throws Exception {
        ByteArrayOutputStream story = new ByteArrayOutputStream();
        try (DemoProvider demo = DemoProvider.start(DemoConfigResource.port, DemoConfigResource.accountsPort, app.toURI(), "test-token",
                URI.create("http://localhost:" + dev.tidemark.support.Management.port() + "/q/health/ready"), Duration.ofMillis(50),
                new PrintStream(story, true, StandardCharsets.UTF_8))) {
            String connections = "/api/sources/customers/connections";
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", Records.TOKEN)
                    .get(connections + "/acme").then().statusCode(200).body("state", equalTo("active")));
            // What the README has you do: globex's connection, with its token and its account in the URL.
            given().header("Authorization", Records.TOKEN).contentType("application/json")
                    .body("{\"id\":\"globex\",\"credentials\":{\"token\":\"globex-token\"},\"variables\":{\"account\":\"globex\"}}")
                    .post(connections).then().statusCode(201);
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                given().header("Authorization", Records.TOKEN).get(connections + "/globex/records/orders/G-201").then().statusCode(200)
                        .body("data.customer", equalTo("globex")).body("connection", equalTo("globex"));
                given().header("Authorization", Records.TOKEN).get(connections + "/acme/records/orders/A-101").then().statusCode(200)
                        .body("data.customer", equalTo("acme"));
            });
            given().header("Authorization", Records.TOKEN).get(connections + "/acme/records/orders/G-201").then().statusCode(404);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonPath events = given().header("Authorization", Records.TOKEN).get("/api/events?source=customers&limit=50")
                        .then().statusCode(200).extract().jsonPath();
                assertThat(events.getList("events.findAll { it.type == 'customers.order.crossed-10k' }.source"))
                        .contains("tidemark/customers/globex/orders", "tidemark/customers/acme/orders");
            });
        }
    }
}
