package dev.tidemark.support;

import dev.tidemark.local.FreePorts;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Starts the provider simulator for the test run and points the "sim" source at it. */
public class ProviderSimulatorResource implements QuarkusTestResourceLifecycleManager {

    private static volatile ProviderSimulator simulator;

    public static ProviderSimulator simulator() {
        return simulator;
    }

    /** The simulator with no data, knobs or counters left from an earlier test. */
    public static ProviderSimulator fresh() {
        simulator.reset();
        simulator.clear();
        return simulator;
    }

    @Override
    public Map<String, String> start() {
        simulator = new ProviderSimulator(FreePorts.next());
        return Map.of("tidemark.sources.sim.api.base-url", simulator.baseUrl(),
                "tidemark.sources.simnest.api.base-url", simulator.baseUrl(),
                "tidemark.sources.simfragile.api.base-url", simulator.baseUrl(),
                "tidemark.sources.simquota.api.base-url", simulator.baseUrl(),
                "tidemark.sources.simoauth.api.base-url", simulator.baseUrl(),
                "tidemark.sources.simoauth.api.auth.token-url", simulator.baseUrl() + "/oauth/token",
                "tidemark.sources.simrefresh.api.base-url", simulator.baseUrl(),
                "tidemark.sources.simrefresh.api.auth.token-url", simulator.baseUrl() + "/oauth/token");
    }

    @Override
    public void stop() {
        if (simulator != null) {
            simulator.close();
        }
    }
}
