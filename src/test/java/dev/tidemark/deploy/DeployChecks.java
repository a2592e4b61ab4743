package dev.tidemark.deploy;

import dev.tidemark.config.Roles;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;

/** What the deployment tests (Kubernetes, Compose) check the same way against the running test application. */
final class DeployChecks {

    /** Quarkus's own key to load the sources file, and the roles (the test application runs them all, so has no value). */
    static final Set<String> KNOWN_WITHOUT_A_VALUE_HERE = Set.of("quarkus.config.locations", Roles.PROPERTY);

    private DeployChecks() {
    }

    /** The variables a sources file refers to as ${NAME}. */
    static Set<String> referenced(String sources) {
        Set<String> names = new HashSet<>();
        Matcher m = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::[^}]*)?}").matcher(sources);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /**
     * Whether an environment variable is something the application reads: a
     * configuration key (MicroProfile's mapping: lower case, _ for .) that the
     * running application has a value for or knows, a variable the sources
     * file refers to, or one the image's start script reads (named in the Dockerfile).
     */
    static boolean read(String variable, String sources, String dockerfile) {
        String property = variable.toLowerCase(Locale.ROOT).replace('_', '.');
        return ConfigProvider.getConfig().getOptionalValue(property, String.class).isPresent()
                || KNOWN_WITHOUT_A_VALUE_HERE.contains(property) || referenced(sources).contains(variable) || dockerfile.contains(variable);
    }
}
