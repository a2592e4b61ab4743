package dev.tidemark.startup;

import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.startup.TidemarkConfigCheck;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;

/** Refuses to start with a configuration that names unknown things or malformed pointers. */
@Startup
@ApplicationScoped
public class ConfigCheckOnStart {

    private final TidemarkConfig config;

    public ConfigCheckOnStart(TidemarkConfig config) {
        this.config = config;
    }

    @PostConstruct
    void check() {
        TidemarkConfigCheck.require(config);
    }
}
