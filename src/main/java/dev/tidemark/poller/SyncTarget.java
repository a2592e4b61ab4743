package dev.tidemark.poller;

import dev.tidemark.change.Connection;

/**
 * What one run walks: a resource of a connection (its source's implicit one,
 * or one created through the API), under one parent record for a nested resource ("" otherwise).
 */
public record SyncTarget(Connection connection, String resource, String parent) {

    /** A walk of the source's implicit connection. */
    public SyncTarget(String source, String resource, String parent) {
        this(Connection.implicit(source), resource, parent);
    }

    public static SyncTarget of(String source, String resource) {
        return new SyncTarget(source, resource, "");
    }

    public String source() {
        return connection.source();
    }

    /** The same resource under another parent (a nested resource's walk of one parent's children). */
    public SyncTarget under(String parentKey) {
        return new SyncTarget(connection, resource, parentKey);
    }

    @Override
    public String toString() {
        String name = connection + "/" + resource;
        return parent.isEmpty() ? name : name + " (parent " + parent + ")";
    }
}
