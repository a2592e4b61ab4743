package dev.tidemark.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Turns {@code tidemark.roles} (TIDEMARK_ROLES) into the settings that switch
 * each role's parts on or off, so operators name roles and never the channels
 * behind them. Its ordinal is below every file and the environment, so an
 * explicit setting of one of these properties still wins.
 */
public class RolesConfigSourceFactory implements ConfigSourceFactory {

    /** A property, and the role whose presence turns it on. */
    static final Map<String, Roles> SWITCHES = Map.of(
            "mp.messaging.incoming.changes-in.enabled", Roles.PROCESSOR,
            "mp.messaging.incoming.refetch-in.enabled", Roles.POLLER);

    static final int ORDINAL = 150;

    /** The roles that read or write PostgreSQL. */
    static final Set<Roles> DATABASE_ROLES = Set.of(Roles.PROCESSOR, Roles.POLLER, Roles.RELAY);

    /** The readiness checks of the reactive and the JDBC (Flyway's) datasource. */
    static final List<String> DATABASE_HEALTH_CHECKS = List.of(
            "io.quarkus.reactive.pg.client.runtime.health.ReactivePgDataSourcesHealthCheck",
            "io.quarkus.agroal.runtime.health.DataSourceHealthCheck");

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue value = context.getValue(Roles.PROPERTY);
        Set<Roles> roles;
        try {
            roles = Roles.parse(value == null ? null : value.getValue());
        } catch (IllegalArgumentException e) {
            // Reported with every other configuration problem at start-up (TidemarkConfigCheck); run all roles until then.
            roles = Roles.parse(null);
        }
        Map<String, String> properties = new HashMap<>();
        for (var entry : SWITCHES.entrySet()) {
            properties.put(entry.getKey(), Boolean.toString(roles.contains(entry.getValue())));
        }
        // A receiver-only replica neither needs nor waits for PostgreSQL: it migrates nothing at start-up (the
        // roles that use the database do, Flyway's lock keeping replicas apart), and its readiness is Kafka's
        // alone, so a database failover does not take webhook intake down with it.
        String database = Boolean.toString(roles.stream().anyMatch(DATABASE_ROLES::contains));
        properties.put("quarkus.flyway.migrate-at-start", database);
        for (String check : DATABASE_HEALTH_CHECKS) {
            properties.put("quarkus.smallrye-health.check.\"" + check + "\".enabled", database);
        }
        return List.of(new PropertiesConfigSource(properties, "tidemark.roles", ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }
}
