package dev.tidemark.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.source.yaml.YamlConfigSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The provider templates shipped with Tidemark ({@code templates/<name>.yaml} on the classpath, each a source's
 * settings): a source that names one ({@code tidemark.sources.<source>.template: github}) gets the template's keys
 * under {@code tidemark.sources.<source>.}, below every file and the environment, so whatever the source sets itself
 * wins. A list wins whole: a template's {@code events: [a, b, c]} is not merged item by item with a user's
 * {@code events: [x]}, which would leave {@code [x, b, c]}. An unknown name adds nothing here; start-up names it
 * ({@code TidemarkConfigCheck}).
 */
public class ProviderTemplates implements ConfigSourceFactory {

    /** The templates there are, each documented in docs/providers/&lt;name&gt;.md. */
    public static final List<String> NAMES = List.of("github", "hubspot", "shopify", "slack", "stripe", "zendesk");

    /** Below the roles' switches (150), every file (250 and up) and the environment (300). */
    static final int ORDINAL = 140;

    /** A source's name in a key: the segment after {@code tidemark.sources.}, quoted when it holds dots. */
    private static final Pattern SOURCE_KEY = Pattern.compile("tidemark\\.sources\\.([^.\"]+|\"[^\"]+\")\\..*");
    private static final Pattern INDEX = Pattern.compile("\\[\\d+]$");

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        Map<String, String> properties = new HashMap<>();
        // Every source any key names, then its template looked up by name: the environment answers for
        // TIDEMARK_SOURCES_ACME_GH_TEMPLATE when asked for acme-gh's, though it lists the name as acme.gh.
        Set<String> sources = new LinkedHashSet<>();
        for (Iterator<String> names = context.iterateNames(); names.hasNext();) {
            Matcher matcher = SOURCE_KEY.matcher(names.next());
            if (matcher.matches()) {
                sources.add(matcher.group(1));
            }
        }
        for (String source : sources) {
            String prefix = "tidemark.sources." + source + ".";
            ConfigValue name = context.getValue(prefix + "template");
            if (name == null || name.getValue() == null || !NAMES.contains(name.getValue().trim())) {
                continue;
            }
            settings(name.getValue().trim()).forEach((key, value) -> {
                String full = prefix + key;
                if (!setBySource(context, full)) {
                    properties.put(full, value);
                }
            });
        }
        return List.of(new PropertiesConfigSource(properties, "tidemark provider templates", ORDINAL));
    }

    /** Whether the source sets the key (or, for an item of a list, the list) itself. */
    private static boolean setBySource(ConfigSourceContext context, String key) {
        String base = key;
        Matcher index = INDEX.matcher(base);
        while (index.find()) {
            base = base.substring(0, index.start());
            index = INDEX.matcher(base);
        }
        return present(context.getValue(base)) || present(context.getValue(base + "[0]"));
    }

    /** Set in a file or the environment: a default of the mapping ({@code @WithDefault}, the lowest ordinal) is not the source's own. */
    private static boolean present(ConfigValue value) {
        return value != null && value.getValue() != null && value.getConfigSourceOrdinal() > ORDINAL;
    }

    /** A template's settings, flattened as SmallRye flattens any YAML file (lists both indexed and joined). */
    static Map<String, String> settings(String template) {
        String resource = "templates/" + template + ".yaml";
        try (InputStream in = ProviderTemplates.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the build");
            }
            return new YamlConfigSource(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8), ORDINAL).getProperties();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }
}
