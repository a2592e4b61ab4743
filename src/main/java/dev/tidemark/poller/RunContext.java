package dev.tidemark.poller;

import java.util.UUID;

/**
 * One run as its stages see it: its id, the replica it runs under (the lease's owner), what it has cost so far,
 * and the account it calls as.
 */
record RunContext(UUID id, String owner, CallStats stats, Account account) {
}
