package dev.tidemark.poller;

import java.util.UUID;

/** One run as its stages see it: its id, the replica it runs under (the lease's owner) and what it has cost so far. */
record RunContext(UUID id, String owner, CallStats stats) {
}
