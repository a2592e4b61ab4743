package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;

/** The run lost its lease: another replica runs the resource now, and this run must not write a checkpoint. */
final class LostLeaseException extends IllegalStateException {

    LostLeaseException() {
        super("lost the lease (it expired and another replica took it)");
    }

    static <T> Uni<T> fail() {
        return Uni.createFrom().failure(new LostLeaseException());
    }
}
