package dev.tidemark.processor;

import dev.tidemark.change.OrderingDecision;
import dev.tidemark.change.StoredState;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.Origin;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of the ordering policy table (docs/architecture.md), for both kinds of origin, and for tombstones. */
class OrderingPolicyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-24T10:00:00.000001Z");

    static JsonNode data(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static final StoredState STORED = StoredState.of(T, data("{\"a\":1,\"b\":{\"x\":1,\"y\":2}}"));
    static final StoredState NEWER = StoredState.of(T.plusNanos(1000), data("{\"a\":2}"));
    static final StoredState OLDER = StoredState.of(T.minusNanos(1000), data("{\"a\":0}"));
    /** Same content, fields in another order: still the same content. */
    static final StoredState SAME = StoredState.of(T, data("{\"b\":{\"y\":2,\"x\":1},\"a\":1}"));
    static final StoredState DIFFERENT = StoredState.of(T, data("{\"a\":99}"));

    static Stream<Arguments> table() {
        return Stream.of(
                // stored, incoming, origin, expected
                Arguments.of("never seen", null, STORED, Origin.WEBHOOK, OrderingDecision.APPLY_NEWER),
                Arguments.of("never seen", null, STORED, Origin.POLL, OrderingDecision.APPLY_NEWER),
                Arguments.of("newer", STORED, NEWER, Origin.WEBHOOK, OrderingDecision.APPLY_NEWER),
                Arguments.of("newer", STORED, NEWER, Origin.POLL, OrderingDecision.APPLY_NEWER),
                Arguments.of("newer", STORED, NEWER, Origin.RECONCILE, OrderingDecision.APPLY_NEWER),
                Arguments.of("older", STORED, OLDER, Origin.WEBHOOK, OrderingDecision.STALE),
                Arguments.of("older", STORED, OLDER, Origin.POLL, OrderingDecision.STALE),
                Arguments.of("older", STORED, OLDER, Origin.RECONCILE, OrderingDecision.STALE),
                Arguments.of("equal, same hash", STORED, SAME, Origin.WEBHOOK, OrderingDecision.DUPLICATE),
                Arguments.of("equal, same hash", STORED, SAME, Origin.POLL, OrderingDecision.DUPLICATE),
                Arguments.of("equal, same hash", STORED, SAME, Origin.RECONCILE, OrderingDecision.DUPLICATE),
                Arguments.of("equal, different content", STORED, DIFFERENT, Origin.WEBHOOK, OrderingDecision.CONFLICT_REFETCH),
                Arguments.of("equal, different content", STORED, DIFFERENT, Origin.POLL, OrderingDecision.APPLY_AUTHORITATIVE),
                Arguments.of("equal, different content", STORED, DIFFERENT, Origin.RECONCILE, OrderingDecision.APPLY_AUTHORITATIVE),
                // Tombstones are states with a timestamp like any other (invariant 3).
                Arguments.of("delete newer", STORED, StoredState.tombstone(NEWER.updatedAt()), Origin.WEBHOOK, OrderingDecision.APPLY_NEWER),
                Arguments.of("delete older", STORED, StoredState.tombstone(OLDER.updatedAt()), Origin.WEBHOOK, OrderingDecision.STALE),
                Arguments.of("older update vs tombstone", StoredState.tombstone(T), OLDER, Origin.WEBHOOK, OrderingDecision.STALE),
                Arguments.of("older update vs tombstone", StoredState.tombstone(T), OLDER, Origin.RECONCILE, OrderingDecision.STALE),
                Arguments.of("restore: newer update vs tombstone", StoredState.tombstone(T), NEWER, Origin.WEBHOOK, OrderingDecision.APPLY_NEWER),
                Arguments.of("redelivered delete", StoredState.tombstone(T), StoredState.tombstone(T), Origin.WEBHOOK, OrderingDecision.DUPLICATE),
                Arguments.of("update at the tombstone's time", StoredState.tombstone(T), SAME, Origin.WEBHOOK, OrderingDecision.CONFLICT_REFETCH),
                Arguments.of("update at the tombstone's time", StoredState.tombstone(T), SAME, Origin.POLL, OrderingDecision.APPLY_AUTHORITATIVE));
    }

    @ParameterizedTest(name = "{0}: {3} -> {4}")
    @MethodSource("table")
    void decides(String row, StoredState stored, StoredState incoming, Origin origin, OrderingDecision expected) {
        assertThat(OrderingPolicy.decide(stored, incoming, origin)).isEqualTo(expected);
    }
}
