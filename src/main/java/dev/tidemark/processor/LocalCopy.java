package dev.tidemark.processor;

import dev.tidemark.change.Connection;

import io.smallrye.mutiny.Uni;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the poller may ask of the local copy the processor keeps: read-only
 * questions about live records, and nothing else. The processor owns the
 * records table; this is the one door through which the poller looks at it
 * (to skip unchanged records, walk a nested resource's parents, and find
 * what a reconciliation sweep did not see).
 */
public interface LocalCopy {

    /** A live record of a resource, its data as JSON text. */
    record LiveRecord(String id, Instant updatedAt, String data) {
    }

    /** id -> SHA-256 content hash of the local copy, for those of {@code ids} that have a live one. */
    Uni<Map<String, byte[]>> hashes(Connection connection, String resource, List<String> ids);

    /** How many live records the resource has. */
    Uni<Long> live(Connection connection, String resource);

    /**
     * Up to {@code limit} live records of the resource by id: after
     * {@code after} (or from it, when {@code inclusive}), and before
     * {@code before} unless that is null.
     */
    Uni<List<LiveRecord>> page(Connection connection, String resource, String after, boolean inclusive, String before, int limit);

    /**
     * How many live children a nested resource has under the parents a sweep
     * walked ({@code parentKeys}) and under parents deleted locally: what a
     * nested sweep may delete from.
     *
     * @param topLevelParent the parent resource is top-level: its record id is the key with its segment decoded
     */
    Uni<Long> liveUnder(Connection connection, String resource, List<String> parentKeys, String parentResource, boolean topLevelParent);

    /**
     * Ids of live records that existed before {@code began} (neither written
     * by Tidemark nor updated at the provider since) and that the sweep
     * {@code sweep} did not note as seen: those the provider no longer has.
     */
    Uni<List<String>> unseen(Connection connection, String resource, UUID sweep, Instant began);

    /** As {@link #unseen}, among the children of the walked parents and of parents deleted locally. */
    Uni<List<String>> unseenUnder(Connection connection, String resource, UUID sweep, Instant began, List<String> parentKeys,
            String parentResource, boolean topLevelParent);
}
