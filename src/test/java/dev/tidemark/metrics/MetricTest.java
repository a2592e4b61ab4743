package dev.tidemark.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a dashboard may rely on: every metric is named once and documented in docs/operations.md. */
class MetricTest {

    static List<String> names() {
        return Arrays.stream(Metric.class.getDeclaredFields()).filter(f -> Modifier.isStatic(f.getModifiers()))
                .map(MetricTest::value).toList();
    }

    static String value(Field field) {
        try {
            return (String) field.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyMetricHasOneNameAndIsDocumented() throws IOException {
        String operations = Files.readString(Path.of("docs/operations.md"));
        assertThat(names()).doesNotHaveDuplicates().allSatisfy(name -> {
            assertThat(name).startsWith("tidemark.");
            // As Prometheus shows it: dots as underscores, then the unit or _total.
            assertThat(operations).as("docs/operations.md documents %s", name).contains("`" + name.replace('.', '_'));
        });
    }
}
