package dev.tidemark.startup;

import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.relay.EventSink;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.spi.ObserverMethod;
import java.util.List;

/**
 * Refuses to start with a configuration that names unknown things or
 * malformed pointers, before any other start-up work (topics, the relay,
 * the schedule) begins, on every replica whatever its roles.
 */
@Startup(ObserverMethod.DEFAULT_PRIORITY - 100)
@ApplicationScoped
public class ConfigCheckOnStart {

    private final TidemarkConfig config;
    private final Instance<EventSink> sinks;

    public ConfigCheckOnStart(TidemarkConfig config, @Any Instance<EventSink> sinks) {
        this.config = config;
        this.sinks = sinks;
    }

    @PostConstruct
    void check() {
        // The sinks are beans, known only here; every other check reads the configuration alone.
        List<String> beans = EventSink.unknown(sinks, config.relay().sink()).stream().toList();
        TidemarkConfigCheck.require(config, beans);
    }
}
