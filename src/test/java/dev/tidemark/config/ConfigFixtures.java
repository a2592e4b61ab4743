package dev.tidemark.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.yaml.YamlConfigSource;
import java.time.Duration;

/** Binds YAML to {@link TidemarkConfig} with the same mapping and converters Quarkus uses, without starting Quarkus. */
public final class ConfigFixtures {

    private ConfigFixtures() {
    }

    public static TidemarkConfig load(String yaml) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withSources(new YamlConfigSource("test.yaml", yaml, 500))
                .withSources(new ProviderTemplates())
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withMapping(TidemarkConfig.class)
                .build();
        return config.getConfigMapping(TidemarkConfig.class);
    }
}
