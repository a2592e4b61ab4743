package dev.tidemark.processor;

import dev.tidemark.change.OrderingDecision;
import dev.tidemark.change.StoredState;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrderedApplyTest {

    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

    static ChangeEnvelope upsert(int second, int amount, Origin origin) {
        return new ChangeEnvelope("s", "r", "1", Op.UPSERT, T0.plusSeconds(second),
                JsonNodeFactory.instance.objectNode().put("amount", amount), origin, "d", T0);
    }

    static ChangeEnvelope delete(int second) {
        return new ChangeEnvelope("s", "r", "1", Op.DELETE, T0.plusSeconds(second), null, Origin.WEBHOOK, "d", T0);
    }

    @Test
    void appliesABatchInUpdatedAtOrderWhateverOrderItArrivedIn() {
        var result = OrderedApply.apply(null, List.of(upsert(3, 8000, Origin.WEBHOOK), upsert(1, 5000, Origin.WEBHOOK),
                upsert(2, 12000, Origin.WEBHOOK)));

        assertThat(result.transitions()).extracting(t -> t.next().data().get("amount").asInt())
                .containsExactly(5000, 12000, 8000);
        assertThat(result.finalState().data().get("amount").asInt()).isEqualTo(8000);
        assertThat(result.transitions().get(0).previous()).isNull();
    }

    @Test
    void dropsStaleAndDuplicateChangesAgainstTheStateTheBatchHasReached() {
        StoredState stored = StoredState.of(T0.plusSeconds(5), JsonNodeFactory.instance.objectNode().put("amount", 1));
        var result = OrderedApply.apply(stored, List.of(upsert(4, 2, Origin.WEBHOOK), upsert(6, 3, Origin.WEBHOOK),
                upsert(6, 3, Origin.WEBHOOK)));

        assertThat(result.transitions()).hasSize(1);
        assertThat(result.decisions()).containsEntry(OrderingDecision.STALE, 1)
                .containsEntry(OrderingDecision.APPLY_NEWER, 1)
                .containsEntry(OrderingDecision.DUPLICATE, 1);
    }

    @Test
    void aDeleteIsATimestampedTombstoneThatOnlyANewerChangeRestores() {
        var result = OrderedApply.apply(null, List.of(upsert(1, 1, Origin.WEBHOOK), delete(2), upsert(1, 9, Origin.POLL)));
        assertThat(result.finalState().deleted()).isTrue();

        var restored = OrderedApply.apply(result.finalState(), List.of(upsert(3, 4, Origin.WEBHOOK)));
        assertThat(restored.finalState().deleted()).isFalse();
        assertThat(restored.transitions().get(0).previous().deleted()).isTrue();
    }

    @Test
    void aWebhookThatConflictsAtTheSameTimestampIsDroppedAndMarkedForRefetch() {
        StoredState stored = StoredState.of(T0, JsonNodeFactory.instance.objectNode().put("amount", 1));
        ChangeEnvelope conflicting = upsert(0, 2, Origin.WEBHOOK);
        var result = OrderedApply.apply(stored, List.of(conflicting));

        assertThat(result.changed()).isFalse();
        assertThat(result.conflicts()).containsExactly(conflicting);
    }

    @Test
    void aRefetchCarriesNoState() {
        ChangeEnvelope refetch = new ChangeEnvelope("s", "r", "1", Op.REFETCH, T0, null, Origin.WEBHOOK, "d", T0);
        var result = OrderedApply.apply(null, List.of(refetch));
        assertThat(result.changed()).isFalse();
        assertThat(result.refetches()).isEqualTo(1);
    }
}
