package dev.tidemark.connections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.processor.RecordRepository;
import dev.tidemark.support.ProviderSimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * An upgrade from the release before connections: a database built by that
 * release's migrations (V1 to V11) and written in its shape is migrated by
 * this one, and every row is then found by the statements this release reads
 * it with, under its source's implicit connection.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class MigrationTests {

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String url;

    @ConfigProperty(name = "quarkus.datasource.username")
    String user;

    @ConfigProperty(name = "quarkus.datasource.password")
    String password;

    @Test
    void rowsOfThePreviousReleaseAreTheImplicitConnectionsAfterTheUpgrade() throws SQLException {
        String upgradeUrl = dev.tidemark.support.FreshDatabase.create(url, user, password, "upgrade_");
        String database = upgradeUrl.substring(upgradeUrl.lastIndexOf('/') + 1);
        Flyway.configure().dataSource(upgradeUrl, user, password).locations("classpath:db/migration").target("11").load().migrate();
        UUID run = UUID.randomUUID();
        try (Connection db = DriverManager.getConnection(upgradeUrl, user, password); Statement s = db.createStatement()) {
            // Written as the previous release wrote them: no connection anywhere.
            s.execute("INSERT INTO records (source, resource, id, updated_at, deleted, data, applied_at) VALUES "
                    + "('shop', 'orders', 'o-1', '2026-01-01T00:00:00Z', false, '{\"id\":\"o-1\",\"total\":5}', now()), "
                    + "('shop', 'orders', 'o-2', '2026-01-02T00:00:00Z', true, NULL, now())");
            s.execute("INSERT INTO poll_checkpoints (source, resource, mode, status, run_id, updated_at, last_id, seen) VALUES "
                    + "('sim', 'cursor-items', 'incremental', 'completed', '" + run + "', '2026-01-03T00:00:00Z', 'x-9', 1)");
            s.execute("INSERT INTO sync_runs (id, source, resource, mode, trigger, status, owner) VALUES "
                    + "('" + run + "', 'sim', 'cursor-items', 'incremental', 'schedule', 'completed', 'old-replica')");
            s.execute("INSERT INTO source_auth (source, seed_hash, refresh_token, refresh_version) VALUES ('simrotate', 'h', 'rt', 3)");
            s.execute("INSERT INTO poll_schedule (source, resource, kind, every_ms, due_at) VALUES ('sim', 'cursor-items', 'poll', 60000, now())");
            s.execute("INSERT INTO refetch_pending (source, resource, id, updated_at, observed_at, origin, next_at) VALUES "
                    + "('thin', 'tickets', 't-1', now(), now(), 'webhook', now())");
        }

        Flyway.configure().dataSource(upgradeUrl, user, password).locations("classpath:db/migration").load().migrate();

        try (Connection db = DriverManager.getConnection(upgradeUrl, user, password)) {
            // The read API's own statement, for the implicit connection '' (its $1..$4 in order, as JDBC's ?).
            try (PreparedStatement find = db.prepareStatement(RecordRepository.FIND.replaceAll("\\$\\d+", "?"))) {
                find.setString(1, "shop");
                find.setString(2, "orders");
                find.setString(3, "o-1");
                find.setString(4, "");
                try (ResultSet row = find.executeQuery()) {
                    assertThat(row.next()).isTrue();
                    assertThat(row.getString("data")).contains("\"total\": 5");
                    assertThat(row.getString("connection")).isEmpty();
                }
                find.setString(3, "o-2");
                try (ResultSet row = find.executeQuery()) {
                    assertThat(row.next()).isTrue();
                    assertThat(row.getBoolean("deleted")).isTrue();
                }
            }
            assertThat(count(db, "SELECT count(*) FROM poll_checkpoints WHERE source = 'sim' AND connection = '' AND last_id = 'x-9'")).isEqualTo(1);
            assertThat(count(db, "SELECT count(*) FROM sync_runs WHERE id = '" + run + "' AND connection = ''")).isEqualTo(1);
            assertThat(count(db, "SELECT count(*) FROM source_auth WHERE source = 'simrotate' AND connection = '' AND refresh_version = 3"))
                    .isEqualTo(1);
            assertThat(count(db, "SELECT count(*) FROM poll_schedule WHERE connection = ''")).isEqualTo(1);
            assertThat(count(db, "SELECT count(*) FROM refetch_pending WHERE connection = ''")).isEqualTo(1);
            assertThat(count(db, "SELECT count(*) FROM connections")).isZero();
            // Keys now include the connection: the same id under a connection is another record.
            try (Statement s = db.createStatement()) {
                s.execute("INSERT INTO records (source, connection, resource, id, updated_at, deleted, applied_at) "
                        + "VALUES ('shop', 'acme', 'orders', 'o-1', now(), false, now())");
            }
            assertThat(count(db, "SELECT count(*) FROM records WHERE source = 'shop' AND id = 'o-1'")).isEqualTo(2);
        } finally {
            try (Connection admin = DriverManager.getConnection(url, user, password); Statement s = admin.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database);
            }
        }
    }

    private static long count(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
