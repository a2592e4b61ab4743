package dev.tidemark.connections;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.anEmptyMap;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.processor.ConnectionRemains;
import dev.tidemark.support.LogCapture;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import dev.tidemark.support.TenantProvider;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connections of one source over the real API, PostgreSQL and Kafka, polling a
 * provider of many accounts (a real HTTP server that answers each tenant only
 * to its own token): records never cross, one account's trouble stays its own,
 * and secrets never leave sealed.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class ConnectionTests {

    static final String BASE = "/api/sources/accounts/connections";

    @Inject
    Pool pool;

    @Inject
    ConnectionRemains remains;

    TenantProvider provider;
    String run;
    LogCapture logs;

    @BeforeEach
    void fresh() {
        provider = ProviderSimulatorResource.tenants();
        run = UUID.randomUUID().toString().substring(0, 8);
        logs = new LogCapture();
    }

    /** Whatever the test did (created, polled, refused, deleted), no token it used is in a log line. */
    @AfterEach
    void noSecretLogged() {
        logs.close();
        assertThat(logs.text()).doesNotContain("tok-").doesNotContain("the-right-token").doesNotContain("a-wrong-token")
                .doesNotContain("very-secret-token");
    }

    private static ValidatableResponse post(String path, String body) {
        return given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body(body).post(path).then();
    }

    private static ValidatableResponse get(String path) {
        return given().header("Authorization", Records.TOKEN).get(path).then();
    }

    private String create(String id, String tenant, String token) {
        post(BASE, "{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"" + token + "\"},\"variables\":{\"tenant\":\"" + tenant
                + "\"},\"metadata\":{\"plan\":\"pro\"}}").statusCode(201).body("id", equalTo(id)).body("state", equalTo("active"));
        return id;
    }

    private String syncAndWait(String id, String mode) {
        String runId = post(BASE + "/" + id + "/resources/items/sync", "{\"mode\":\"" + mode + "\"}").statusCode(202).extract().path("runId");
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                get("/api/runs/" + runId).statusCode(200).body("status", not(equalTo("running"))));
        return runId;
    }

    @Test
    void twoAccountsKeepTheirOwnRecordsUnderTheirOwnTokens() {
        String acme = "acme-" + run;
        String globex = "globex-" + run;
        provider.tenant(acme, "tok-acme-" + run);
        provider.tenant(globex, "tok-globex-" + run);
        Instant t = Instant.parse("2026-06-01T00:00:00Z");
        for (int i = 0; i < 120; i++) {
            provider.put(acme, "a-" + i, t.plusSeconds(i), "acme item " + i);
        }
        provider.put(globex, "shared-id", t, "globex's own");
        provider.put(acme, "shared-id", t, "acme's own");
        create(acme, acme, "tok-acme-" + run);
        create(globex, globex, "tok-globex-" + run);

        String acmeRun = syncAndWait(acme, "full");
        get("/api/runs/" + acmeRun).body("status", equalTo("completed")).body("records", equalTo(121)).body("connection", equalTo(acme));
        String globexRun = syncAndWait(globex, "full");
        get("/api/runs/" + globexRun).body("status", equalTo("completed")).body("records", equalTo(1));

        String records = BASE + "/%s/records/items/%s";
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            get(records.formatted(acme, "shared-id")).statusCode(200).body("data.name", equalTo("acme's own"))
                    .body("connection", equalTo(acme)).body("data.tenant", equalTo(acme));
            get(records.formatted(globex, "shared-id")).statusCode(200).body("data.name", equalTo("globex's own"))
                    .body("connection", equalTo(globex));
            get(records.formatted(acme, "a-119")).statusCode(200);
        });
        get(records.formatted(globex, "a-1")).statusCode(404);
        // Nothing under the source's implicit connection: the old path knows no such record.
        get("/api/records/accounts/items/shared-id").statusCode(404);
        get(BASE + "/" + acme + "/records/items?limit=200").statusCode(200).body("records.size()", equalTo(121));
        assertThat(provider.refused(acme)).isZero();
        assertThat(provider.refused(globex)).isZero();

        get(BASE + "/" + acme).statusCode(200).body("resources[0].resource", equalTo("items"))
                .body("resources[0].checkpoint.status", equalTo("completed"))
                .body("resources[0].lastRun.id", equalTo(acmeRun));
        get(BASE + "/" + acme + "/runs").statusCode(200).body("runs.id", hasItems(acmeRun)).body("runs.id", not(hasItems(globexRun)));
    }

    @Test
    void oneAccountsQuotaStormDoesNotHoldAnotherBack() {
        String slow = "slow-" + run;
        String quick = "quick-" + run;
        provider.tenant(slow, "tok-slow");
        provider.tenant(quick, "tok-quick");
        Instant t = Instant.parse("2026-06-02T00:00:00Z");
        for (int i = 0; i < 10; i++) {
            provider.put(slow, "s-" + i, t.plusSeconds(i), "s");
            provider.put(quick, "q-" + i, t.plusSeconds(i), "q");
        }
        create(slow, slow, "tok-slow");
        create(quick, quick, "tok-quick");
        provider.storm(slow, 3);   // three answers of 429, Retry-After 1 s each
        String slowRun = post(BASE + "/" + slow + "/resources/items/sync", "{\"mode\":\"full\"}").statusCode(202).extract().path("runId");
        String quickRun = syncAndWait(quick, "full");
        get("/api/runs/" + quickRun).body("status", equalTo("completed")).body("rateLimitWaits", equalTo(0)).body("records", equalTo(10));
        // The quick account finished while the slow one was still waiting out its provider's Retry-After.
        get("/api/runs/" + slowRun).body("status", equalTo("running"));
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                get("/api/runs/" + slowRun).body("status", equalTo("completed")).body("rateLimitWaits", equalTo(3)));
    }

    @Test
    void aConnectionsOwnRateLimitPacesItsCallsAloneAndIsCheckedAndCleared() {
        String paced = "paced-" + run;
        String free = "free-" + run;
        provider.tenant(paced, "tok-paced");
        provider.tenant(free, "tok-free");
        Instant t = Instant.parse("2026-06-04T00:00:00Z");
        for (int i = 0; i < 250; i++) {
            provider.put(paced, String.format("p-%03d", i), t.plusSeconds(i), "p");
            provider.put(free, String.format("f-%03d", i), t.plusSeconds(i), "f");
        }
        // Its account's plan allows 4 calls a second; the source's rate-limit (1,000/s, burst 50) is the other's.
        post(BASE, "{\"id\":\"" + paced + "\",\"credentials\":{\"token\":\"tok-paced\"},\"variables\":{\"tenant\":\"" + paced
                + "\"},\"rateLimit\":{\"requestsPerSecond\":4,\"burst\":1,\"maxConcurrency\":2}}").statusCode(201)
                .body("rateLimit.requestsPerSecond", equalTo(4.0f)).body("rateLimit.burst", equalTo(1))
                .body("rateLimit.maxConcurrency", equalTo(2));
        create(free, free, "tok-free");
        syncAndWait(paced, "full");
        syncAndWait(free, "full");
        List<Instant> pacedCalls = provider.callTimes(paced);
        List<Instant> freeCalls = provider.callTimes(free);
        assertThat(pacedCalls).hasSizeGreaterThanOrEqualTo(5);
        assertThat(freeCalls).hasSizeGreaterThanOrEqualTo(5);
        for (int i = 1; i < pacedCalls.size(); i++) {
            // 250 ms apart at 4/s; less allowed for a loaded machine's threads.
            assertThat(Duration.between(pacedCalls.get(i - 1), pacedCalls.get(i))).as("gap before call %d of the paced account", i)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(150));
        }
        assertThat(java.util.stream.IntStream.range(1, freeCalls.size())
                .mapToObj(i -> Duration.between(freeCalls.get(i - 1), freeCalls.get(i))).min(Duration::compareTo).orElseThrow())
                .as("the other account is not held to that pace").isLessThan(Duration.ofMillis(150));

        post(BASE, "{\"id\":\"x-" + run + "\",\"credentials\":{\"token\":\"t\"},\"variables\":{\"tenant\":\"x\"},"
                + "\"rateLimit\":{\"requestsPerSecond\":0}}").statusCode(400).body("detail", containsString("rateLimit.requestsPerSecond"));
        post(BASE, "{\"id\":\"x-" + run + "\",\"credentials\":{\"token\":\"t\"},\"variables\":{\"tenant\":\"x\"},"
                + "\"rateLimit\":{\"burst\":1.5}}").statusCode(400).body("detail", containsString("rateLimit.burst"));
        post(BASE, "{\"id\":\"x-" + run + "\",\"credentials\":{\"token\":\"t\"},\"variables\":{\"tenant\":\"x\"},"
                + "\"rateLimit\":{\"perHour\":3}}").statusCode(400).body("detail", containsString("rateLimit.perHour"));
        get(BASE + "/x-" + run).statusCode(404);
        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body("{\"rateLimit\":null}")
                .patch(BASE + "/" + paced).then().statusCode(200).body("rateLimit", anEmptyMap());
    }

    @Test
    void aRefusedTokenStopsThatAccountAloneUntilNewCredentialsArrive() {
        String broken = "broken-" + run;
        String fine = "fine-" + run;
        provider.tenant(broken, "the-right-token");
        provider.tenant(fine, "tok-fine");
        provider.put(broken, "b-1", Instant.parse("2026-06-03T00:00:00Z"), "b");
        provider.put(fine, "f-1", Instant.parse("2026-06-03T00:00:00Z"), "f");
        create(broken, broken, "a-wrong-token");
        create(fine, fine, "tok-fine");
        String brokenRun = syncAndWait(broken, "full");
        get("/api/runs/" + brokenRun).body("status", equalTo("failed")).body("error", containsString("re-authorization"));
        get(BASE + "/" + broken).body("state", equalTo("needs-reauthorization")).body("stateReason", containsString("401"));
        // Announced once on tidemark.events, as a CloudEvent naming the connection and never its token.
        String events = get("/api/events?source=accounts&type=tidemark.connection.needs-reauthorization&limit=500").statusCode(200)
                .extract().asString();
        assertThat(events).contains("\"subject\":\"" + broken + "\"").contains("\"connection\":\"" + broken + "\"")
                .doesNotContain("a-wrong-token").doesNotContain("the-right-token");
        assertThat(events.split("\"subject\":\"" + broken + "\"", -1)).hasSize(2);
        assertThat(provider.refused(broken)).isEqualTo(1);   // refused once; never retried with the same token
        // The capture sees the application's lines (so the check after each test means something): this one names the
        // connection and the call, never the token.
        assertThat(logs.text()).contains("connection accounts/" + broken + " needs re-authorization");
        post(BASE + "/" + broken + "/resources/items/sync", "{}").statusCode(409).body("detail", containsString("needs-reauthorization"));
        assertThat(provider.refused(broken)).isEqualTo(1);
        get("/api/runs/" + syncAndWait(fine, "full")).body("status", equalTo("completed"));

        given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON)
                .body("{\"credentials\":{\"token\":\"the-right-token\"}}").patch(BASE + "/" + broken)
                .then().statusCode(200).body("state", equalTo("active")).body("stateReason", nullValue());
        get("/api/runs/" + syncAndWait(broken, "full")).body("status", equalTo("completed")).body("records", equalTo(1));
    }

    @Test
    void deletingAConnectionWithPurgeTombstonesOnlyItsRecordsAndItsIdStartsAfreshAfterwards() {
        String gone = "gone-" + run;
        String kept = "kept-" + run;
        provider.tenant(gone, "tok-gone");
        provider.tenant(kept, "tok-kept");
        Instant t = Instant.parse("2026-06-04T00:00:00Z");
        provider.put(gone, "x-1", t, "g1");
        provider.put(gone, "x-2", t, "g2");
        provider.put(kept, "x-1", t, "k1");
        create(gone, gone, "tok-gone");
        create(kept, kept, "tok-kept");
        String firstRun = syncAndWait(gone, "full");
        syncAndWait(kept, "full");
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            get(BASE + "/" + gone + "/records/items/x-2").statusCode(200);
            get(BASE + "/" + kept + "/records/items/x-1").statusCode(200);
        });
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE connection = $1", gone)).isEqualTo(1);
        double deletedBefore = deletedMetric();

        given().header("Authorization", Records.TOKEN).delete(BASE + "/" + gone + "?purge=true").then().statusCode(200)
                .body("purged", equalTo(2));
        get(BASE + "/" + gone).statusCode(404);
        // Subscribers see both go: two deletes applied (tombstones on tidemark.records), none of the other account's.
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(deletedMetric() - deletedBefore).isEqualTo(2));
        assertThat(count("SELECT count(*) AS n FROM records WHERE source = 'accounts' AND connection = $1 AND NOT deleted", kept))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE connection = $1", gone)).isZero();
        assertThat(count("SELECT count(*) AS n FROM poll_checkpoints WHERE connection = $1", gone)).isZero();
        get("/api/runs/" + firstRun).statusCode(404);
        given().header("Authorization", Records.TOKEN).delete(BASE + "/" + gone).then().statusCode(404);

        // Its id cannot be taken again while its tombstones are there: the new account's records would be taken for stale.
        post(BASE, "{\"id\":\"" + gone + "\",\"credentials\":{\"token\":\"tok-gone\"},\"variables\":{\"tenant\":\"" + gone + "\"}}")
                .statusCode(409).body("detail", containsString("still being removed"));
        remains.sweep().await().atMost(Duration.ofSeconds(10));
        assertThat(count("SELECT count(*) AS n FROM records WHERE source = 'accounts' AND connection = $1", gone)).isZero();
        // Still not free: a receiver's or processor's cache may name the connection for a few seconds more.
        post(BASE, "{\"id\":\"" + gone + "\",\"credentials\":{\"token\":\"tok-gone\"},\"variables\":{\"tenant\":\"" + gone + "\"}}")
                .statusCode(409);
        count("WITH older AS (UPDATE connection_purges SET deleted_at = now() - interval '2 minutes' WHERE connection = $1 RETURNING 1) "
                + "SELECT count(*) AS n FROM older", gone);
        remains.sweep().await().atMost(Duration.ofSeconds(10));
        assertThat(count("SELECT count(*) AS n FROM connection_purges WHERE connection = $1", gone)).isZero();
        // Then a connection of that id starts afresh: a backfill of everything, nothing stale.
        create(gone, gone, "tok-gone");
        get("/api/runs/" + syncAndWait(gone, "incremental")).body("status", equalTo("completed")).body("records", equalTo(2));
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                get(BASE + "/" + gone + "/records/items/x-1").statusCode(200).body("deleted", equalTo(false)));
    }

    @Test
    void aCreateWritesItsScheduleInItsOwnTransactionAndARefusedOneWritesNothing() {
        // Taken: its schedule rows are there as soon as it is answered, not some time later.
        String id = create("tx-" + run, "tx-" + run, "tok-tx");
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE source = 'accounts' AND connection = $1", id)).isEqualTo(1);
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE connection = $1 AND due_at <= now() + interval '63 seconds'", id))
                .as("its backfill falls due 2 s plus up to a minute after the create, not an interval (1 h) on").isEqualTo(1);

        // Rows of an id no connection has, with no deletion recorded (a page applied after a deletion was done): the
        // create is refused, writes nothing, and their deletion is recorded so the sweep frees the id.
        String stray = "stray-" + run;
        count("WITH r AS (INSERT INTO records (source, connection, resource, id, updated_at, deleted, applied_at) "
                + "VALUES ('accounts', $1, 'items', 'x-1', now(), false, now()) RETURNING 1) SELECT count(*) AS n FROM r", stray);
        post(BASE, "{\"id\":\"" + stray + "\",\"credentials\":{\"token\":\"tok-s\"},\"variables\":{\"tenant\":\"" + stray + "\"}}")
                .statusCode(409).body("detail", containsString("still being removed"));
        get(BASE + "/" + stray).statusCode(404);
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE connection = $1", stray)).isZero();
        assertThat(count("SELECT count(*) AS n FROM connection_purges WHERE source = 'accounts' AND connection = $1 AND NOT purge", stray))
                .isEqualTo(1);
        count("WITH older AS (UPDATE connection_purges SET deleted_at = now() - interval '2 minutes' WHERE connection = $1 RETURNING 1) "
                + "SELECT count(*) AS n FROM older", stray);
        // A sweep already under way (the processor's own, every 30 s) makes this one pass: again until done.
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            remains.sweep().await().atMost(Duration.ofSeconds(10));
            assertThat(count("SELECT count(*) AS n FROM records WHERE source = 'accounts' AND connection = $1", stray)
                    + count("SELECT count(*) AS n FROM connection_purges WHERE connection = $1", stray)).isZero();
        });
        create(stray, stray, "tok-s");
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE connection = $1", stray)).isEqualTo(1);

        // An id taken (its connection has records): refused, the connection there keeps its schedule, and its records
        // are its own, never taken for a deleted one's.
        count("WITH r AS (INSERT INTO records (source, connection, resource, id, updated_at, deleted, applied_at) "
                + "VALUES ('accounts', $1, 'items', 'x-1', now(), false, now()) RETURNING 1) SELECT count(*) AS n FROM r", id);
        post(BASE, "{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"tok-tx\"},\"variables\":{\"tenant\":\"other\"}}")
                .statusCode(409).body("detail", containsString("exists"));
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE connection = $1", id)).isEqualTo(1);
        assertThat(count("SELECT count(*) AS n FROM connection_purges WHERE connection = $1", id)).isZero();
    }

    @Test
    void createsOfOneIdAtOnceTakeItOnceAndTheOthersAre409() throws Exception {
        String id = "race-" + run;
        String body = "{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"tok-race\"},\"variables\":{\"tenant\":\"" + id + "\"}}";
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(callers.submit(() -> given().header("Authorization", Records.TOKEN).contentType(ContentType.JSON).body(body)
                        .post(BASE).then().extract().statusCode()));
            }
            List<Integer> statuses = new java.util.ArrayList<>();
            for (var answer : answers) {
                statuses.add(answer.get(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(statuses).as("one create takes the id, every other is told it exists").containsOnly(201, 409)
                    .filteredOn(status -> status == 201).hasSize(1);
        } finally {
            callers.shutdownNow();
        }
        assertThat(count("SELECT count(*) AS n FROM poll_schedule WHERE connection = $1", id)).isEqualTo(1);
    }

    private long count(String sql, String connection) {
        return pool.preparedQuery(sql).execute(io.vertx.mutiny.sqlclient.Tuple.of(connection)).await().atMost(Duration.ofSeconds(5))
                .iterator().next().getLong("n");
    }

    private static double deletedMetric() {
        String metrics = dev.tidemark.support.Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(line -> line.startsWith("tidemark_processor_deleted_total{") && line.contains("source=\"accounts\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void secretsAreNeverAnsweredAndOnlyStoredSealed() {
        String id = "sealed-" + run;
        String token = "very-secret-token-" + run;
        provider.tenant(id, token);
        String created = post(BASE, "{\"id\":\"" + id + "\",\"credentials\":{\"token\":\"" + token + "\"},\"variables\":{\"tenant\":\""
                + id + "\"}}").statusCode(201).body("credentials.set", equalTo(true)).extract().asString();
        assertThat(created).doesNotContain(token);
        assertThat(get(BASE + "/" + id).statusCode(200).extract().asString()).doesNotContain(token);
        assertThat(get(BASE + "?limit=500").statusCode(200).extract().asString()).doesNotContain(token);
        String dump = pool.query("SELECT string_agg(row_to_json(c)::text, E'\\n') AS dump FROM connections c").execute()
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getString("dump");
        assertThat(dump).contains(id).doesNotContain(token)
                .doesNotContain(HexFormat.of().formatHex(token.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void badRequestsNameTheFieldAndChangeNothing() {
        String id = "bad-" + run;
        post(BASE, "[]").statusCode(400).body("detail", containsString("body"));
        post(BASE, "{\"id\":\"has space\",\"variables\":{\"tenant\":\"x\"}}").statusCode(400).body("detail", containsString("id:"));
        post(BASE, "{\"id\":\"" + id + "\"}").statusCode(400).body("detail", containsString("variables.tenant: required"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\",\"region\":\"eu\"}}").statusCode(400)
                .body("detail", containsString("variables.region"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"evil.example/x\"}}").statusCode(400)
                .body("detail", containsString("variables.tenant"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"credentials\":{\"password\":\"p\"}}").statusCode(400)
                .body("detail", containsString("credentials.password"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"credentials\":{}}").statusCode(400)
                .body("detail", containsString("credentials.token: required"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"colour\":\"red\"}").statusCode(400)
                .body("detail", containsString("colour"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"schedule\":{\"items\":\"soon\"}}").statusCode(400)
                .body("detail", containsString("schedule.items"));
        post(BASE, "{\"id\":\"items\",\"variables\":{\"tenant\":\"x\"}}").statusCode(400).body("detail", containsString("resources"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"routingKeys\":[\"acct_1\"]}").statusCode(400)
                .body("detail", containsString("routingKeys"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"credentials\":{\"token\":\"t\"},"
                + "\"metadata\":{\"note\":\"a\\u0000b\"}}").statusCode(400).body("detail", containsString("metadata.note"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"credentials\":{\"token\":\"\\ud800\"}}")
                .statusCode(400).body("detail", containsString("credentials.token"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"credentials\":{\"token\":\"t\"},"
                + "\"schedule\":{\"items\":\"PT2562047788015216H\"}}").statusCode(400).body("detail", containsString("schedule.items"));
        post(BASE, "{\"id\":\"..\",\"variables\":{\"tenant\":\"x\"},\"credentials\":{\"token\":\"t\"}}").statusCode(400)
                .body("detail", containsString("id"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"..\"},\"credentials\":{\"token\":\"t\"}}").statusCode(400)
                .body("detail", containsString("variables.tenant"));
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"}}").statusCode(400)
                .body("detail", containsString("credentials: required"));
        get(BASE + "/" + id).statusCode(404);

        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"x\"},\"credentials\":{\"token\":\"t\"}}").statusCode(201);
        post(BASE, "{\"id\":\"" + id + "\",\"variables\":{\"tenant\":\"y\"},\"credentials\":{\"token\":\"t\"}}").statusCode(409)
                .body("detail", containsString("id"));
        get(BASE + "/" + id).statusCode(200).body("variables.tenant", equalTo("x"));
        post("/api/sources/nope/connections", "{}").statusCode(404);
        post("/api/sources/sim/connections", "{\"id\":\"x\"}").statusCode(404).body("detail", containsString("one account"));
        given().contentType(ContentType.JSON).body("{}").post(BASE).then().statusCode(401);
        get(BASE + "?cursor=nonsense").statusCode(400);
    }

    @Test
    void theOpenApiDocumentDescribesTheConnectionsApi() {
        String document = dev.tidemark.support.Management.given().get("/q/openapi?format=json").then().statusCode(200)
                .extract().asString();
        assertThat(document).contains("/api/sources/{source}/connections/{id}/resources/{resource}/sync")
                .contains("/api/sources/{source}/connections/{id}").contains("/webhooks/{source}/{connection}")
                .contains("ConnectionBody").contains("Write-only");
    }

    @Test
    void listingPagesThroughEveryConnection() {
        for (int i = 0; i < 5; i++) {
            post(BASE, "{\"id\":\"page-" + run + "-" + i + "\",\"variables\":{\"tenant\":\"p\"},\"credentials\":{\"token\":\"tok-p\"},"
                    + "\"enabled\":false}").statusCode(201)
                    .body("state", equalTo("paused")).body("enabled", equalTo(false));
        }
        int seen = 0;
        String cursor = null;
        do {
            ValidatableResponse page = get(BASE + "?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).statusCode(200);
            seen += page.extract().jsonPath().getList("connections.findAll { it.id.startsWith('page-" + run + "') }").size();
            cursor = page.extract().path("nextCursor");
        } while (cursor != null);
        assertThat(seen).isEqualTo(5);
        get(BASE + "?limit=500").statusCode(200)
                .body("connections.find { it.id == 'page-" + run + "-1' }.resources[0].health", equalTo("never-run"));
        // The sources' view counts them by state, without listing them.
        get("/api/sources").statusCode(200)
                .body("sources.find { it.source == 'accounts' }.connections.paused", org.hamcrest.Matchers.greaterThanOrEqualTo(5))
                .body("sources.find { it.source == 'accounts' }.connections.href", equalTo(BASE))
                .body("sources.find { it.source == 'accounts' }.resources[0].perConnection", equalTo(true));
        post("/api/sources/accounts/resources/items/sync", "{}").statusCode(409).body("detail", containsString("serves connections"));
        // A paused connection is not polled, on request either.
        post(BASE + "/page-" + run + "-0/resources/items/sync", "{}").statusCode(409).body("detail", containsString("paused"));
    }
}
