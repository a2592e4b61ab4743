package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The local run's demo configuration, for a test: the "demo" source and rule
 * of application.yaml's %dev profile, and deploy/local/demo.yaml with the demo
 * provider on a free port — the files themselves, flattened into properties.
 * The poll schedule is shortened so the test does not wait 20 seconds.
 */
public class DemoConfigResource implements QuarkusTestResourceLifecycleManager {

    static volatile int port;
    static volatile int accountsPort;

    @Override
    public Map<String, String> start() {
        port = FreePorts.next();
        accountsPort = FreePorts.next();
        YAMLMapper yaml = new YAMLMapper();
        Map<String, String> properties = new HashMap<>();
        try {
            JsonNode dev = yaml.readTree(Path.of("src/main/resources/application.yaml").toFile()).path("%dev").path("tidemark");
            flatten("tidemark.sources.demo", dev.path("sources").path("demo"), properties);
            flatten("tidemark.rules.demo-order-over-10k", dev.path("rules").path("demo-order-over-10k"), properties);
            flatten("tidemark.secrets", dev.path("secrets"), properties);
            String demo = Files.readString(Path.of("deploy/local/demo.yaml")).replace("${TIDEMARK_LOCAL_DEMO_PORT:58080}", Integer.toString(port))
                    .replace("${TIDEMARK_LOCAL_ACCOUNTS_PORT:58081}", Integer.toString(accountsPort));
            flatten("tidemark", yaml.readTree(demo).path("tidemark"), properties);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        properties.put("tidemark.sources.demo.resources.orders.schedule", "2s");
        properties.put("tidemark.sources.customers.resources.orders.schedule", "2s");
        return properties;
    }

    static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> flatten(prefix + "." + field.getKey(), field.getValue(), out));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + "[" + i + "]", node.get(i), out);
            }
        } else if (!node.isMissingNode()) {
            out.put(prefix, node.asText());
        }
    }

    @Override
    public void stop() {
    }
}
