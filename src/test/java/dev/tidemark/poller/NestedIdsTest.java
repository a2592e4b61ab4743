package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Nested record ids keep every ancestor's id, and split back into exactly the ids they were made of. */
class NestedIdsTest {

    static final List<String> ANCESTORS = List.of("projects", "equipment");

    @Test
    void anIdWithSlashesAndPercentSignsSplitsBackIntoItsSegments() {
        String project = NestedIds.key("p/1", true);
        String equipment = NestedIds.compose(project, "e%2F7");
        String attribute = NestedIds.compose(equipment, "a 3");
        assertThat(attribute).isEqualTo("p%2F1/e%252F7/a 3");
        assertThat(NestedIds.segments(attribute)).containsExactly("p/1", "e%2F7", "a 3");
        assertThat(NestedIds.parentOf(attribute)).isEqualTo(equipment);
        assertThat(NestedIds.key(equipment, false)).isEqualTo(equipment);
    }

    @Test
    void pathsNameAncestorsByResourceAndEncodeEachId() {
        String attribute = NestedIds.compose(NestedIds.compose(NestedIds.key("p/1", true), "e 7"), "a?3");
        assertThat(NestedIds.fill("/projects/{projects}/equipment/{equipment}/attributes/{id}", ANCESTORS, attribute, true))
                .isEqualTo("/projects/p%2F1/equipment/e%207/attributes/a%3F3");
        assertThat(NestedIds.fill("/projects/{projects}/equipment/{equipment}/attributes", ANCESTORS,
                NestedIds.parentOf(attribute), false)).isEqualTo("/projects/p%2F1/equipment/e%207/attributes");
        assertThat(NestedIds.placeholders("/projects/{projects}/equipment/{id}")).containsExactly("projects", "id");
    }

    @Test
    void anIdOfDotsCannotWalkUpTheProvidersPath() {
        String equipment = NestedIds.compose(NestedIds.key("..", true), ".");
        String path = NestedIds.fill("/projects/{projects}/equipment/{id}", List.of("projects"), equipment, true);
        assertThat(path).isEqualTo("/projects/%2E%2E/equipment/%2E");
        java.net.URI uri = PageRequest.path(path, java.util.Map.of()).resolve(java.net.URI.create("https://api.example/v2"));
        assertThat(uri.normalize()).isEqualTo(uri);
        assertThat(uri.getRawPath()).isEqualTo("/v2/projects/%2E%2E/equipment/%2E");
        // A top-level record's fetch path (a refetch of id "..") is filled the same way.
        assertThat(PageRequest.segment("..")).isEqualTo("%2E%2E");
        assertThat(PageRequest.segment("...")).isEqualTo("...");
        assertThat(PageRequest.segment("a..b")).isEqualTo("a..b");
    }

    @Test
    void anIdWithTheWrongNumberOfSegmentsIsRefused() {
        assertThatThrownBy(() -> NestedIds.fill("/projects/{projects}/equipment/{equipment}/attributes/{id}", ANCESTORS, "p1/e7", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 2 segment(s)");
        assertThatThrownBy(() -> NestedIds.fill("/x/{other}", List.of("projects"), "p1", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{other} names no ancestor");
    }
}
