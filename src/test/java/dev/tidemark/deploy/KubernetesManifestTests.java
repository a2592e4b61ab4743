package dev.tidemark.deploy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tidemark.config.ConfigFixtures;
import dev.tidemark.config.Roles;
import dev.tidemark.startup.TidemarkConfigCheck;
import dev.tidemark.local.LocalInfraResource;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under k8s/ parsed into the Kubernetes model (fabric8) —
 * a misspelt field fails — and checked against the application: the port it
 * listens on, the health paths it answers, the configuration its environment
 * variables name, the sources and rules it would start with, and that every
 * name one manifest refers to (Deployment, Service, port, Secret key, file)
 * exists.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class KubernetesManifestTests {

    static final Path K8S = Path.of("k8s");
    static final Path BASE = K8S.resolve("base");
    static final Path DEV = K8S.resolve("overlays/dev");
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "Deployment", Deployment.class, "Service", Service.class, "Secret", Secret.class, "Ingress", Ingress.class,
            "HorizontalPodAutoscaler", HorizontalPodAutoscaler.class, "PodDisruptionBudget", PodDisruptionBudget.class,
            "NetworkPolicy", NetworkPolicy.class);
    /** Kubernetes' own JSON, strictly: a field the model does not know is an error, not an extra. */
    static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final YAMLMapper YAML = new YAMLMapper();

    /** Every object in the YAML files of a directory (kustomization files and patches aside), parsed by kind. */
    static List<HasMetadata> objects(Path dir, Set<String> skip) throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                if (skip.contains(file.getFileName().toString())) {
                    continue;
                }
                try (var parser = new YAMLFactory().createParser(file.toFile())) {
                    for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                        String kind = doc.path("kind").asText();
                        assertThat(KINDS).as("%s: kind %s", file, kind).containsKey(kind);
                        objects.add(strict(doc, KINDS.get(kind), file));
                    }
                }
            }
        }
        return objects;
    }

    /**
     * Parsed with unknown fields refused: fabric8's classes keep what they do
     * not know in additionalProperties, so a misspelt field would pass a plain
     * parse. Every object of the parsed tree must have none.
     */
    static <T extends HasMetadata> T strict(JsonNode doc, Class<T> type, Path file) throws IOException {
        T parsed = STRICT.treeToValue(doc, type);
        List<String> unknown = new ArrayList<>();
        extras(parsed, "", unknown, java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
        assertThat(unknown).as("%s: fields the Kubernetes model does not know", file).isEmpty();
        return parsed;
    }

    /** The paths of fields a model object kept as additional properties, through its getters. */
    static void extras(Object value, String at, List<String> unknown, Set<Object> seen) {
        if (value == null || !seen.add(value)) {
            return;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                extras(list.get(i), at + "/" + i, unknown, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> extras(v, at + "/" + k, unknown, seen));
            return;
        }
        if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (java.lang.reflect.Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                Object child = getter.invoke(value);
                if (getter.getName().equals("getAdditionalProperties")) {
                    ((Map<?, ?>) child).keySet().forEach(key -> unknown.add(at + "/" + key));
                } else {
                    extras(child, at + "/" + getter.getName().substring(3), unknown, seen);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static <T> List<T> ofKind(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static JsonNode kustomization(Path dir) throws IOException {
        return YAML.readTree(dir.resolve("kustomization.yaml").toFile());
    }

    @Test
    void everyFileAKustomizationNamesExistsAndEveryManifestIsInOne() throws IOException {
        for (Path dir : List.of(BASE, DEV)) {
            JsonNode k = kustomization(dir);
            Set<String> named = new HashSet<>();
            k.path("resources").forEach(r -> named.add(r.asText()));
            k.path("patches").forEach(p -> named.add(p.path("path").asText()));
            k.path("configMapGenerator").forEach(g -> g.path("files").forEach(f -> named.add(f.asText())));
            for (String name : named) {
                assertThat(dir.resolve(name)).as("%s names %s", dir, name).exists();
            }
            try (Stream<Path> files = Files.list(dir)) {
                files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml")
                        && !f.equals("secret.example.yaml")).forEach(f -> assertThat(named).as("%s lists %s", dir, f).contains(f));
            }
        }
    }

    @Test
    void deploymentsRunOneRoleEachOnTheAppsPortWithItsHealthChecksLockedDown() throws IOException {
        List<Deployment> deployments = ofKind(objects(BASE, Set.of("kustomization.yaml", "sources.yaml")), Deployment.class);
        assertThat(deployments).extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder("tidemark-receiver", "tidemark-processor", "tidemark-poller");
        Set<Roles> covered = new HashSet<>();
        // The port the packaged application listens on: application.yaml's (outside any profile), else Quarkus's 8080.
        // (The running test application listens on the test port instead.)
        JsonNode app = YAML.readTree(Path.of("src/main/resources/application.yaml").toFile());
        int port = app.path("quarkus").path("http").path("port").asInt(8080);
        int management = app.path("quarkus").path("management").path("port").asInt(9000);
        assertThat(app.path("quarkus").path("management").path("enabled").asBoolean()).as("health and metrics off the public port").isTrue();
        assertThat(Files.readString(Path.of("src/main/docker/Dockerfile.jvm"))).contains("EXPOSE " + port + " " + management);
        for (Deployment deployment : deployments) {
            String name = deployment.getMetadata().getName();
            var pod = deployment.getSpec().getTemplate().getSpec();
            assertThat(deployment.getSpec().getSelector().getMatchLabels().entrySet()).as(name + " selector")
                    .isSubsetOf(deployment.getSpec().getTemplate().getMetadata().getLabels().entrySet());
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name).isTrue();
            Container c = pod.getContainers().get(0);
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(name + " read-only root").isTrue();
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(name).isFalse();
            assertThat(c.getVolumeMounts()).as(name + " has a writable /tmp").anyMatch(m -> m.getMountPath().equals("/tmp"));
            assertThat(c.getPorts()).as(name).anyMatch(p -> "http".equals(p.getName()) && p.getContainerPort() == port);
            assertThat(c.getPorts()).as(name).anyMatch(p -> "management".equals(p.getName()) && p.getContainerPort() == management);
            assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations()).as(name)
                    .containsEntry("prometheus.io/port", Integer.toString(management)).containsEntry("prometheus.io/path", "/q/metrics");
            assertThat(pod.getAutomountServiceAccountToken()).as(name + " mounts no service-account token").isFalse();
            assertThat(c.getResources().getRequests()).as(name).containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits()).as(name).containsKey("memory");
            for (Probe probe : List.of(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())) {
                assertThat(probe.getHttpGet().getPort().getStrVal()).as(name).isEqualTo("management");
                // The path answers on the running application's management interface, and not on its public port.
                dev.tidemark.support.Management.given().get(probe.getHttpGet().getPath()).then().statusCode(200);
                given().get(probe.getHttpGet().getPath()).then().statusCode(404);
            }
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
            String roles = c.getEnv().stream().filter(e -> e.getName().equals("TIDEMARK_ROLES")).findFirst().orElseThrow().getValue();
            covered.addAll(Roles.parse(roles));
            // Each role holds only the secrets it uses: the internet-facing receiver none of the database's,
            // the API's or the provider's.
            Set<String> secrets = new HashSet<>();
            c.getEnv().stream().filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                    .forEach(e -> secrets.add(e.getValueFrom().getSecretKeyRef().getKey()));
            Set<Roles> parsed = Roles.parse(roles);
            assertThat(secrets.contains("DB_PASSWORD")).as(name + " database password")
                    .isEqualTo(parsed.contains(Roles.PROCESSOR) || parsed.contains(Roles.POLLER) || parsed.contains(Roles.RELAY));
            assertThat(secrets.contains("BILLING_CLIENT_SECRET")).as(name + " provider credentials").isEqualTo(parsed.contains(Roles.POLLER));
            assertThat(secrets.contains("BILLING_WEBHOOK_SECRET")).as(name + " webhook secret").isEqualTo(parsed.contains(Roles.RECEIVER));
            assertThat(secrets.contains("TIDEMARK_API_TOKEN")).as(name + " API token").isEqualTo(!parsed.equals(Set.of(Roles.RECEIVER)));
        }
        assertThat(covered).as("every role runs somewhere").containsExactlyInAnyOrder(Roles.values());
    }

    @Test
    void environmentVariablesNameConfigurationTheApplicationReadsAndSecretKeysThatExist() throws IOException {
        String sources = Files.readString(BASE.resolve("sources.yaml"));
        String dockerfile = Files.readString(Path.of("src/main/docker/Dockerfile.jvm"));
        Set<String> referenced = DeployChecks.referenced(sources);
        Set<String> names = new HashSet<>();
        kustomization(BASE).path("configMapGenerator").forEach(g -> g.path("literals")
                .forEach(l -> names.add(l.asText().substring(0, l.asText().indexOf('=')))));
        Map<String, Set<String>> secretKeys = new HashMap<>();
        for (Deployment d : ofKind(objects(BASE, Set.of("kustomization.yaml", "sources.yaml")), Deployment.class)) {
            for (EnvVar env : d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
                names.add(env.getName());
                if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                    secretKeys.computeIfAbsent(env.getValueFrom().getSecretKeyRef().getName(), s -> new HashSet<>())
                            .add(env.getValueFrom().getSecretKeyRef().getKey());
                }
            }
        }
        for (String name : names) {
            assertThat(DeployChecks.read(name, sources, dockerfile)).as("%s names configuration the application does not read", name).isTrue();
        }
        assertThat(referenced).as("every ${…} in sources.yaml comes from the Secret").isSubsetOf(secretKeys.get("tidemark"));
        for (Path file : List.of(BASE.resolve("secret.example.yaml"), DEV.resolve("secret.yaml"))) {
            Secret secret = strict(YAML.readTree(file.toFile()), Secret.class, file);
            assertThat(secret.getStringData().keySet()).as("%s", file).containsAll(secretKeys.get("tidemark"));
        }
    }

    @Test
    void theSourcesAndRulesInTheConfigMapAreAConfigurationTidemarkStartsWith() throws IOException {
        String sources = Files.readString(BASE.resolve("sources.yaml")).replaceAll("\\$\\{([A-Z0-9_]+)(?::[^}]*)?}", "value-of-$1");
        assertThat(TidemarkConfigCheck.problems(ConfigFixtures.load(sources))).isEmpty();
    }

    @Test
    void everyNameOneManifestRefersToExists() throws IOException {
        List<HasMetadata> base = objects(BASE, Set.of("kustomization.yaml", "sources.yaml", "secret.example.yaml"));
        List<Deployment> deployments = ofKind(base, Deployment.class);
        List<Map<String, String>> podLabels = deployments.stream().map(d -> d.getSpec().getTemplate().getMetadata().getLabels()).toList();
        for (Service service : ofKind(base, Service.class)) {
            assertThat(podLabels).as("service %s selects pods", service.getMetadata().getName())
                    .anyMatch(labels -> labels.entrySet().containsAll(service.getSpec().getSelector().entrySet()));
            if (!service.getMetadata().getName().equals("tidemark-receiver")) {
                // The API's Service reaches only pods that serve it: those holding the API token (not the receivers).
                for (Deployment d : deployments) {
                    if (d.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(service.getSpec().getSelector().entrySet())) {
                        assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                                .as("%s behind service %s", d.getMetadata().getName(), service.getMetadata().getName())
                                .anyMatch(e -> e.getName().equals("TIDEMARK_API_TOKEN"));
                    }
                }
            }
            for (ServicePort port : service.getSpec().getPorts()) {
                assertThat(deployments).as("target port %s", port.getTargetPort().getStrVal()).anyMatch(d -> d.getSpec().getTemplate()
                        .getSpec().getContainers().get(0).getPorts().stream().anyMatch(p -> p.getName().equals(port.getTargetPort().getStrVal())));
            }
        }
        for (Ingress ingress : ofKind(base, Ingress.class)) {
            var path = ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0);
            assertThat(path.getPath()).isEqualTo("/webhooks");
            given().post(path.getPath() + "/no-such-source").then().statusCode(404);   // the app routes it, and knows no such source
            var backend = path.getBackend().getService();
            Service target = ofKind(base, Service.class).stream().filter(s -> s.getMetadata().getName().equals(backend.getName()))
                    .findFirst().orElseThrow();
            assertThat(target.getSpec().getPorts()).anyMatch(p -> p.getName().equals(backend.getPort().getName()));
            assertThat(target.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "receiver");
        }
        for (HorizontalPodAutoscaler hpa : ofKind(base, HorizontalPodAutoscaler.class)) {
            assertThat(deployments).extracting(d -> d.getMetadata().getName()).contains(hpa.getSpec().getScaleTargetRef().getName());
            Deployment scaled = deployments.stream().filter(d -> d.getMetadata().getName().equals(hpa.getSpec().getScaleTargetRef().getName()))
                    .findFirst().orElseThrow();
            assertThat(scaled.getSpec().getReplicas()).as("the HPA owns the replica count").isNull();
        }
        for (PodDisruptionBudget pdb : ofKind(base, PodDisruptionBudget.class)) {
            assertThat(podLabels).as("pdb %s", pdb.getMetadata().getName())
                    .anyMatch(labels -> labels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
        }
        for (NetworkPolicy policy : ofKind(base, NetworkPolicy.class)) {
            assertThat(podLabels).as("policy %s", policy.getMetadata().getName())
                    .anyMatch(labels -> labels.entrySet().containsAll(policy.getSpec().getPodSelector().getMatchLabels().entrySet()));
            assertThat(policy.getSpec().getIngress()).allMatch(rule -> rule.getPorts().stream()
                    .allMatch(p -> p.getPort().getIntVal() == 8080 || p.getPort().getIntVal() == 9000));
            // What is open to any source (no "from") is the public port only: never the management interface.
            assertThat(policy.getSpec().getIngress()).filteredOn(rule -> rule.getFrom() == null || rule.getFrom().isEmpty())
                    .allMatch(rule -> rule.getPorts().stream().allMatch(p -> p.getPort().getIntVal() == 8080));
        }
        // The development overlay: its own objects parse, and its patches name objects of the base.
        List<HasMetadata> dev = objects(DEV, Set.of("kustomization.yaml", "single-replica.yaml"));
        assertThat(ofKind(dev, Service.class)).extracting(s -> s.getMetadata().getName()).contains("postgres", "kafka");
        Set<String> baseNames = new HashSet<>();
        base.forEach(o -> baseNames.add(o.getKind() + "/" + o.getMetadata().getName()));
        try (var parser = new YAMLFactory().createParser(DEV.resolve("single-replica.yaml").toFile())) {
            for (JsonNode patch : YAML.readValues(parser, JsonNode.class).readAll()) {
                strict(patch, KINDS.get(patch.path("kind").asText()), DEV.resolve("single-replica.yaml"));
                assertThat(baseNames).contains(patch.path("kind").asText() + "/" + patch.path("metadata").path("name").asText());
            }
        }
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.reactive.url", String.class);
        assertThat(kustomization(BASE).path("configMapGenerator").toString()).contains("QUARKUS_DATASOURCE_REACTIVE_URL=postgresql://");
        assertThat(url).startsWith("postgresql://");
    }
}
