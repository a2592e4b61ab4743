package dev.tidemark.change;

/**
 * One account at a provider: a connection of a source. A source is a
 * template (how to verify its webhooks, its API's shape, its resources); a
 * connection is one customer's account under it, with its own credentials,
 * rate-limit budget, checkpoints and records. Today every source has exactly
 * one, its implicit connection (id ""), whose keys and paths are the
 * source's own.
 */
public record Connection(String source, String id) {

    /** The id of a source's implicit connection: the account its inline credentials name. */
    public static final String IMPLICIT = "";

    public Connection {
        if (source == null || id == null) {
            throw new IllegalArgumentException("source and id are required");
        }
    }

    /** The source's implicit connection. */
    public static Connection implicit(String source) {
        return new Connection(source, IMPLICIT);
    }

    public boolean isImplicit() {
        return id.isEmpty();
    }

    /** For logs: the source alone for its implicit connection, else {@code source/connection}. */
    @Override
    public String toString() {
        return isImplicit() ? source : source + "/" + id;
    }
}
