package dev.tidemark.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.type;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import dev.tidemark.change.UpwardImportFixture;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.outbox.OutboxStore;
import dev.tidemark.processor.LocalCopy;
import dev.tidemark.poller.SyncTarget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The direction of every package (docs/architecture.md): each may use only
 * the packages named beside it, all of them below it, so the graph has no
 * cycle and no import points back up. A new package must be added here.
 * Read from the bytecode: a compile-time constant (a metric's name, a topic
 * name) is copied into its user and leaves no dependency to see, and neither
 * does a CDI lookup by name.
 */
class ArchitectureTest {

    /** Each package, top to bottom, and the packages it may use. */
    static final Map<String, List<String>> MAY_USE = new LinkedHashMap<>();

    static {
        MAY_USE.put("startup", List.of("api", "receiver", "poller", "relay", "processor", "outbox", "rules", "cel", "http", "connections", "secrets", "change", "config", "metrics"));
        MAY_USE.put("api", List.of("receiver", "poller", "processor", "outbox", "http", "connections", "secrets", "change", "config", "metrics"));
        MAY_USE.put("receiver", List.of("http", "connections", "cel", "change", "config", "metrics"));
        MAY_USE.put("poller", List.of("processor", "rules", "cel", "connections", "change", "config", "metrics"));
        MAY_USE.put("relay", List.of("outbox", "change", "config", "metrics"));
        MAY_USE.put("processor", List.of("outbox", "rules", "connections", "change", "config", "metrics"));
        MAY_USE.put("connections", List.of("outbox", "secrets", "change", "config", "metrics"));
        MAY_USE.put("outbox", List.of("change", "config"));
        MAY_USE.put("rules", List.of("cel", "change", "config", "metrics"));
        MAY_USE.put("http", List.of("config", "metrics"));
        MAY_USE.put("secrets", List.of("config"));
        MAY_USE.put("change", List.of("config"));
        MAY_USE.put("config", List.of());
        MAY_USE.put("metrics", List.of());
        MAY_USE.put("cel", List.of());
    }

    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.tidemark");

    static LayeredArchitecture layers() {
        LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInAnyPackage("dev.tidemark..")
                .layer("root").definedBy("dev.tidemark");
        for (String name : MAY_USE.keySet()) {
            layers = layers.layer(name).definedBy("dev.tidemark." + name + "..");
        }
        layers = layers.whereLayer("root").mayNotAccessAnyLayer();
        for (Map.Entry<String, List<String>> entry : MAY_USE.entrySet()) {
            layers = entry.getValue().isEmpty()
                    ? layers.whereLayer(entry.getKey()).mayNotAccessAnyLayer()
                    : layers.whereLayer(entry.getKey()).mayOnlyAccessLayers(entry.getValue().toArray(String[]::new));
        }
        return layers;
    }

    static final ArchRule NO_CYCLE = slices().matching("dev.tidemark.(*)..").should().beFreeOfCycles();

    @Test
    void everyPackageUsesOnlyThePackagesBelowIt() {
        layers().ensureAllClassesAreContainedInArchitecture().check(MAIN);
    }

    @Test
    void packagesFormNoCycle() {
        NO_CYCLE.check(MAIN);
    }

    @Test
    void theTableItselfPointsOnlyDownward() {
        // A package may use only those listed after it: the order of the table is the order of the floors.
        List<String> order = List.copyOf(MAY_USE.keySet());
        MAY_USE.forEach((name, uses) -> uses.forEach(used ->
                assertThat(order.indexOf(used)).as(name + " -> " + used).isGreaterThan(order.indexOf(name))));
    }

    @Test
    void thePollerReadsTheProcessorsTableOnlyThroughLocalCopy() {
        noClasses().that().resideInAPackage("dev.tidemark.poller..")
                .should().dependOnClassesThat(resideInAPackage("dev.tidemark.processor..")
                        .and(not(assignableTo(LocalCopy.class)).and(not(type(LocalCopy.LiveRecord.class)))))
                .check(MAIN);
    }

    @Test
    void onlyTheRelayClaimsAndMarksOutboxRows() {
        // The relay's lock and seq order are what keep events in order and each published once.
        noClasses().that().resideOutsideOfPackages("dev.tidemark.relay..", "dev.tidemark.outbox..")
                .should().callMethodWhere(target(owner(type(OutboxStore.class)))
                        .and(target(nameMatching("lead|claim|mark|markUnpublishable"))))
                .check(MAIN);
    }

    @Test
    void anUpwardImportFailsTheCheck() {
        // A class of the change model that uses the poller: what the rules above must refuse.
        JavaClasses withUpwardImport = new ClassFileImporter().importClasses(UpwardImportFixture.class, SyncTarget.class, ChangeEnvelope.class);
        assertThatThrownBy(() -> layers().check(withUpwardImport))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("UpwardImportFixture")
                .hasMessageContaining("SyncTarget");
    }
}
