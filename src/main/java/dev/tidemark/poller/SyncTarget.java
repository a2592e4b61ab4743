package dev.tidemark.poller;

import dev.tidemark.change.Connection;

/**
 * What one run walks: a resource of a connection (today always its source's
 * implicit one), under one parent record for a nested resource ("" otherwise).
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

    /**
     * This target, if its rows can be kept: the poller's tables and topics do
     * not name connections yet, so only a source's implicit connection has
     * rows there. Another would share them with it; it fails here instead.
     */
    SyncTarget stored() {
        if (!connection.isImplicit()) {
            throw new IllegalStateException("connection " + connection + " cannot be polled yet: only a source's implicit "
                    + "connection has checkpoints, leases, runs and records");
        }
        return this;
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
