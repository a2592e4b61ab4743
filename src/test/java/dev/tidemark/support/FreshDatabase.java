package dev.tidemark.support;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;

/** A new, empty database on the tests' PostgreSQL, for a test that needs tables no other test (or the app) writes. */
public final class FreshDatabase {

    private FreshDatabase() {
    }

    /**
     * Creates a database named {@code prefix} and a random suffix next to the one {@code url} names, and returns
     * its JDBC URL; the caller migrates it as far as it needs.
     */
    public static String create(String url, String user, String password, String prefix) throws SQLException {
        String database = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (var admin = DriverManager.getConnection(url, user, password); var s = admin.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        return url.substring(0, url.lastIndexOf('/') + 1) + database;
    }
}
