package dev.tidemark.poller;

/** What one run walks: a resource of a source, under one parent record for a nested resource ("" otherwise). */
public record SyncTarget(String source, String resource, String parent) {

    public static SyncTarget of(String source, String resource) {
        return new SyncTarget(source, resource, "");
    }

    @Override
    public String toString() {
        return parent.isEmpty() ? source + "/" + resource : source + "/" + resource + " (parent " + parent + ")";
    }
}
