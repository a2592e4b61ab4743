package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.ChangePublisher;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulator.Fault;
import dev.tidemark.support.ProviderSimulatorResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nested resources against the simulator's projects → equipment → attributes:
 * child paths filled in from the ancestors, ids that keep the parent's
 * context, parent.when choosing the parents, per-parent checkpoints,
 * unchanged parents skipped, and sweeps per walked parent. Each test ends by
 * comparing the local table with what the simulator holds.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class NestedResourceTests {

    static final String SOURCE = "simnest";
    static final Instant T = Instant.parse("2026-10-01T00:00:00Z");
    static final List<String> PROJECTS = List.of("projects");

    @Inject
    ResourceSync sync;

    @Inject
    ChangePublisher changes;

    @Inject
    Pool pool;

    ProviderSimulator provider;

    static List<String> equipment(String project) {
        return List.of("projects", project, "equipment");
    }

    static List<String> attributes(String project, String equipment) {
        return List.of("projects", project, "equipment", equipment, "attributes");
    }

    /**
     * Three active projects (one whose id has a slash, sorting last under any
     * collation) and an archived one;
     * equipment under each (p1's over two pages; p2 has an e1 too); attributes
     * under two pieces of equipment. Then the projects are polled.
     */
    @BeforeEach
    void fresh() {
        provider = ProviderSimulatorResource.fresh();
        for (String table : List.of("records", "poll_checkpoints", "poll_leases", "sync_runs")) {
            pool.preparedQuery("DELETE FROM " + table + " WHERE source = $1").execute(Tuple.of(SOURCE)).await().atMost(Duration.ofSeconds(10));
        }
        provider.putNode(PROJECTS, "p1", T, Map.of("status", "active"));
        provider.putNode(PROJECTS, "p2", T.plusSeconds(1), Map.of("status", "active"));
        provider.putNode(PROJECTS, "p3", T.plusSeconds(2), Map.of("status", "archived"));
        provider.putNode(PROJECTS, "p9/x", T.plusSeconds(3), Map.of("status", "active"));
        provider.putNode(equipment("p1"), "e1", T, Map.of("name", "crane"));
        provider.putNode(equipment("p1"), "e2", T.plusSeconds(1), Map.of("name", "drill"));
        provider.putNode(equipment("p1"), "e3", T.plusSeconds(2), Map.of("name", "pump"));
        provider.putNode(equipment("p2"), "e1", T, Map.of("name", "mixer"));
        provider.putNode(equipment("p3"), "e9", T, Map.of("name", "idle"));
        provider.putNode(equipment("p9/x"), "e 5", T, Map.of("name", "lift"));
        provider.putNode(attributes("p1", "e1"), "a1", T, Map.of("value", "red"));
        provider.putNode(attributes("p1", "e1"), "a2", T, Map.of("value", "10t"));
        provider.putNode(attributes("p2", "e1"), "a1", T, Map.of("value", "blue"));
        assertThat(run("projects", "full").status()).isEqualTo("completed");
        awaitTable("projects", Map.of("p1", "active", "p2", "active", "p3", "archived", "p9/x", "active"), "status");
    }

    SyncRun run(String resource, String mode) {
        Optional<SyncRun> run = sync.run(SyncTarget.of(SOURCE, resource), ConfigKind.of(SyncMode.class, mode), "api").await().atMost(Duration.ofSeconds(60));
        assertThat(run).isPresent();
        return run.get();
    }

    /** id -> the field's value, for the resource's live records. */
    Map<String, String> table(String resource, String field) {
        Map<String, String> table = new TreeMap<>();
        for (Row row : pool.preparedQuery("SELECT id, data->>$3 AS v FROM records WHERE source = $1 AND resource = $2 "
                + "AND NOT deleted AND updated_at IS NOT NULL").execute(Tuple.of(SOURCE, resource, field)).await().atMost(Duration.ofSeconds(5))) {
            table.put(row.getString("id"), row.getString("v"));
        }
        return table;
    }

    void awaitTable(String resource, Map<String, String> expected, String field) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(table(resource, field)).isEqualTo(new TreeMap<>(expected)));
    }

    /** What the simulator holds under the given parents' collections, by the ids Tidemark keeps them under. */
    Map<String, String> held(Map<String, List<String>> collections, String field) {
        Map<String, String> held = new TreeMap<>();
        collections.forEach((parentKey, collection) -> provider.nodes(collection)
                .forEach((id, node) -> held.put(NestedIds.compose(parentKey, id), node.fields().get(field))));
        return held;
    }

    Map<String, String> heldEquipmentOfActiveProjects() {
        return held(Map.of("p1", equipment("p1"), "p2", equipment("p2"), "p9%2Fx", equipment("p9/x")), "name");
    }

    Map<String, Long> checkpoints(String resource) {
        Map<String, Long> checkpoints = new TreeMap<>();
        for (Row row : pool.preparedQuery("SELECT parent, seen FROM poll_checkpoints WHERE source = $1 AND resource = $2 AND status = 'completed' AND parent <> ''")
                .execute(Tuple.of(SOURCE, resource)).await().atMost(Duration.ofSeconds(5))) {
            checkpoints.put(row.getString("parent"), row.getLong("seen"));
        }
        return checkpoints;
    }

    @Test
    void childrenOfTheParentsParentWhenSelectsAreListedUnderIdsThatKeepTheirAncestors() {
        SyncRun equipmentRun = run("equipment", "full");
        assertThat(equipmentRun.status()).isEqualTo("completed");
        assertThat(equipmentRun.records()).isEqualTo(5);
        // p3 is archived: parent.when leaves it out, and its equipment is never asked for.
        assertThat(provider.collectionCalls(equipment("p3"))).isZero();
        assertThat(provider.collectionCalls(equipment("p1"))).isEqualTo(2);   // page size 2, three items
        Map<String, String> expected = heldEquipmentOfActiveProjects();
        assertThat(expected).containsOnlyKeys("p1/e1", "p1/e2", "p1/e3", "p2/e1", "p9%2Fx/e 5");
        awaitTable("equipment", expected, "name");
        assertThat(checkpoints("equipment")).containsOnlyKeys("p1", "p2", "p9%2Fx");
        // The read API takes the whole id, slashes and all (the record's own "%2F" sent as %252F).
        given().header("Authorization", Records.TOKEN).urlEncodingEnabled(false)
                .get("/api/records/simnest/equipment/p9%252Fx/e%205").then().statusCode(200)
                .body("id", equalTo("p9%2Fx/e 5")).body("data.name", equalTo("lift"));

        assertThat(run("attributes", "full").status()).isEqualTo("completed");
        awaitTable("attributes", held(Map.of("p1/e1", attributes("p1", "e1"), "p2/e1", attributes("p2", "e1")), "value"), "value");
        assertThat(table("attributes", "value")).containsOnlyKeys("p1/e1/a1", "p1/e1/a2", "p2/e1/a1");
        // Equipment without attributes was asked once and found empty: a completed checkpoint of its own.
        assertThat(provider.collectionCalls(attributes("p9/x", "e 5"))).isEqualTo(1);
        assertThat(checkpoints("attributes")).containsOnlyKeys("p1/e1", "p1/e2", "p1/e3", "p2/e1", "p9%2Fx/e 5");

        String attributesView = "sources.find { it.source == 'simnest' }.resources.find { it.resource == 'attributes' }";
        given().header("Authorization", Records.TOKEN).get("/api/sources").then().statusCode(200)
                .body(attributesView + ".parents.resource", equalTo("equipment"))
                .body(attributesView + ".parents.withCheckpoint", equalTo(5))
                .body(attributesView + ".parents.completed", equalTo(5))
                .body(attributesView + ".health", equalTo("ok"));
    }

    @Test
    void eachParentsChildrenArePolledFromTheirOwnCheckpoint() {
        assertThat(run("equipment", "full").status()).isEqualTo("completed");
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        provider.reset();
        provider.putNode(equipment("p1"), "e2", T.plusSeconds(60), Map.of("name", "drill, serviced"));
        provider.putNode(equipment("p2"), "e4", T.plusSeconds(61), Map.of("name", "saw"));

        SyncRun incremental = run("equipment", "incremental");
        assertThat(incremental.status()).isEqualTo("completed");
        assertThat(incremental.records()).isEqualTo(2);
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        // Each parent's walk went on after its own last item: nothing it had already taken came again.
        assertThat(provider.served()).containsOnlyKeys("projects/p1/equipment/e2", "projects/p2/equipment/e4");
        assertThat(provider.collectionCalls(equipment("p1"))).isEqualTo(1);
        assertThat(provider.collectionCalls(equipment("p9/x"))).isEqualTo(1);
    }

    @Test
    void aParentWhoseUpdatedAtIsUnchangedHasItsChildrenSkipped() {
        assertThat(run("equipment", "full").status()).isEqualTo("completed");
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        assertThat(run("attributes", "full").status()).isEqualTo("completed");
        awaitTable("attributes", held(Map.of("p1/e1", attributes("p1", "e1"), "p2/e1", attributes("p2", "e1")), "value"), "value");
        provider.reset();

        // Nothing changed: attributes (skip-unchanged) ask the provider nothing at all.
        assertThat(run("attributes", "incremental").status()).isEqualTo("completed");
        assertThat(provider.listCalls()).isZero();

        // An attribute changes, and this provider bumps its equipment: once the equipment's poll brought the new
        // updated_at, only that equipment's attributes are asked for.
        provider.putNode(attributes("p1", "e1"), "a2", T.plusSeconds(90), Map.of("value", "12t"));
        provider.putNode(equipment("p1"), "e1", T.plusSeconds(90), Map.of("name", "crane"));
        assertThat(run("equipment", "incremental").status()).isEqualTo("completed");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> pool.query(
                "SELECT updated_at FROM records WHERE source = 'simnest' AND resource = 'equipment' AND id = 'p1/e1'").execute()
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getOffsetDateTime("updated_at").toInstant()
                .equals(T.plusSeconds(90)));
        provider.reset();
        SyncRun attributesRun = run("attributes", "incremental");
        assertThat(attributesRun.status()).isEqualTo("completed");
        assertThat(provider.listCalls()).isEqualTo(1);
        assertThat(provider.collectionCalls(attributes("p1", "e1"))).isEqualTo(1);
        awaitTable("attributes", held(Map.of("p1/e1", attributes("p1", "e1"), "p2/e1", attributes("p2", "e1")), "value"), "value");
        assertThat(table("attributes", "value")).containsEntry("p1/e1/a2", "12t");

        // equipment is not skip-unchanged: a child that changed without its parent's updated_at moving is found.
        provider.putNode(equipment("p2"), "e1", T.plusSeconds(120), Map.of("name", "mixer, repainted"));
        assertThat(run("equipment", "incremental").status()).isEqualTo("completed");
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
    }

    @Test
    void aParentWhoseWalkFailsResumesFromItsOwnCheckpointWhileTheOthersGoOn() {
        provider.reset();
        provider.beforeList(call -> {
            if (call == 2) {   // parents go by id: p1's second page is refused
                provider.fail(Fault.status(400));
            }
        });
        SyncRun failed = run("equipment", "full");
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.error()).hasValueSatisfying(error -> assertThat(error)
                .startsWith("1 parent(s) failed; first parent p1: GET /projects/p1/equipment answered 400")
                .endsWith("(2 parents walked, 0 skipped as unchanged, 1 left out by parent.when, 0 gone at the provider, 1 failed)"));
        awaitTable("equipment", Map.of("p1/e1", "crane", "p1/e2", "drill", "p2/e1", "mixer", "p9%2Fx/e 5", "lift"), "name");

        provider.beforeList(call -> { });
        assertThat(run("equipment", "incremental").status()).isEqualTo("completed");
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        // p1 went on from the last page Kafka acknowledged: e1 and e2 were not fetched again.
        assertThat(provider.served()).containsEntry("projects/p1/equipment/e1", 1).containsEntry("projects/p1/equipment/e2", 1)
                .containsEntry("projects/p1/equipment/e3", 1);
    }

    @Test
    void aRunThatStoppedAtAParentMakesTheNextOneStartThereAndComeRound() {
        assertThat(run("equipment", "full").status()).isEqualTo("completed");
        // As a run cut short by the quota at p2 leaves the resource's own row.
        pool.query("UPDATE poll_checkpoints SET status = 'partial', last_id = 'p2' WHERE source = 'simnest' "
                + "AND resource = 'equipment' AND parent = ''").execute().await().atMost(Duration.ofSeconds(5));
        provider.reset();
        assertThat(run("equipment", "incremental").status()).isEqualTo("completed");
        assertThat(provider.listedCollections()).containsExactly("projects/p2/equipment", "projects/p9/x/equipment",
                "projects/p1/equipment");
        provider.reset();
        assertThat(run("equipment", "incremental").status()).isEqualTo("completed");
        assertThat(provider.listedCollections()).containsExactly("projects/p1/equipment", "projects/p2/equipment",
                "projects/p9/x/equipment");
    }

    @Test
    void aParentGoneAtTheProviderIsPassedOverAndTheOthersStillPolled() {
        assertThat(run("equipment", "full").status()).isEqualTo("completed");
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        provider.deleteNode(PROJECTS, "p2");   // the local copy still has p2: its equipment list answers 404
        provider.putNode(equipment("p1"), "e7", T.plusSeconds(70), Map.of("name", "generator"));

        SyncRun incremental = run("equipment", "incremental");
        assertThat(incremental.status()).isEqualTo("completed");
        // Every parent gone is more likely a wrong path than a provider that lost them all.
        provider.deleteNode(PROJECTS, "p1");
        provider.deleteNode(PROJECTS, "p9/x");
        SyncRun allGone = run("equipment", "incremental");
        assertThat(allGone.status()).isEqualTo("failed");
        assertThat(allGone.error()).hasValueSatisfying(error -> assertThat(error).startsWith("every parent's list answered 404 or 410"));
        awaitTable("equipment", Map.of("p1/e1", "crane", "p1/e2", "drill", "p1/e3", "pump", "p1/e7", "generator",
                "p2/e1", "mixer", "p9%2Fx/e 5", "lift"), "name");
    }

    @Test
    void aSweepDeletesChildrenTheWalkedParentsNoLongerListAndThoseOfDeletedParentsOnly() {
        // p3 active for a while: its equipment is synced, then it is archived (left out from then on).
        provider.putNode(PROJECTS, "p3", T.plusSeconds(10), Map.of("status", "active"));
        assertThat(run("projects", "incremental").status()).isEqualTo("completed");
        awaitTable("projects", Map.of("p1", "active", "p2", "active", "p3", "active", "p9/x", "active"), "status");
        assertThat(run("equipment", "full").status()).isEqualTo("completed");
        awaitTable("equipment", held(Map.of("p1", equipment("p1"), "p2", equipment("p2"), "p3", equipment("p3"),
                "p9%2Fx", equipment("p9/x")), "name"), "name");
        provider.putNode(PROJECTS, "p3", T.plusSeconds(20), Map.of("status", "archived"));
        provider.deleteNode(equipment("p3"), "e9");
        provider.deleteNode(equipment("p1"), "e3");
        provider.deleteNode(PROJECTS, "p2");
        assertThat(run("projects", "reconcile").status()).isEqualTo("completed");
        assertThat(run("projects", "incremental").status()).isEqualTo("completed");
        awaitTable("projects", Map.of("p1", "active", "p3", "archived", "p9/x", "active"), "status");

        SyncRun sweep = run("equipment", "reconcile");
        assertThat(sweep.status()).isEqualTo("completed");
        // p1/e3: gone under a walked parent. p2/e1: its parent is deleted. p3/e9: its parent is no longer selected,
        // so the sweep did not look, and does not delete.
        awaitTable("equipment", Map.of("p1/e1", "crane", "p1/e2", "drill", "p3/e9", "idle", "p9%2Fx/e 5", "lift"), "name");
        assertThat(deleted("equipment")).containsExactlyInAnyOrder("p1/e3", "p2/e1");
    }

    @Test
    void aNestedSweepWithOneFailedParentDeletesNothing() {
        assertThat(run("equipment", "full").status()).isEqualTo("completed");
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        provider.deleteNode(equipment("p1"), "e3");
        provider.deleteNode(equipment("p9/x"), "e 5");
        provider.reset();   // list calls counted from the sweep's first
        provider.beforeList(call -> {
            if (call == 2) {   // parents go by id: p1 (one page now), then p2, whose list is refused
                provider.fail(Fault.status(400));
            }
        });
        SyncRun sweep = run("equipment", "reconcile");
        assertThat(sweep.status()).isEqualTo("failed");
        Awaitility.await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(deleted("equipment")).isEmpty());
        assertThat(table("equipment", "name")).containsKeys("p1/e3", "p9%2Fx/e 5");
    }

    @Test
    void aRefetchOfANestedRecordReadsItUnderItsAncestors() {
        assertThat(run("equipment", "full").status()).isEqualTo("completed");
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        provider.putNode(equipment("p9/x"), "e 5", T.plusSeconds(300), Map.of("name", "lift, inspected"));
        changes.publish(new ChangeEnvelope(SOURCE, "equipment", "p9%2Fx/e 5", Op.REFETCH, Instant.now(), null, Origin.WEBHOOK,
                "test", Instant.now())).await().atMost(Duration.ofSeconds(10));
        awaitTable("equipment", heldEquipmentOfActiveProjects(), "name");
        assertThat(table("equipment", "name")).containsEntry("p9%2Fx/e 5", "lift, inspected");
    }

    TreeSet<String> deleted(String resource) {
        TreeSet<String> ids = new TreeSet<>();
        for (Row row : pool.preparedQuery("SELECT id FROM records WHERE source = $1 AND resource = $2 AND deleted")
                .execute(Tuple.of(SOURCE, resource)).await().atMost(Duration.ofSeconds(5))) {
            ids.add(row.getString("id"));
        }
        return ids;
    }
}
