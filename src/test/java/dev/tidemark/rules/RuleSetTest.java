package dev.tidemark.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.change.RecordKey;
import dev.tidemark.processor.OrderedApply;
import dev.tidemark.change.StoredState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuleSetTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final RecordKey KEY = new RecordKey("billing", "subscriptions", "sub_1");

    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    final RuleSet rules = new RuleSet(List.of(
            new Rule("over-10k", "billing", "subscriptions", true, "crossed", RulePredicate.compile("record.amount >= 10000")),
            new Rule("created", "billing", "subscriptions", true, "created", RulePredicate.compile("true")),
            new Rule("deleted", "billing", "subscriptions", false, "deleted", RulePredicate.compile("true")),
            new Rule("elsewhere", "crm", "contacts", true, "other", RulePredicate.compile("true"))), metrics);

    static ChangeEnvelope upsert(int second, String data) throws Exception {
        return new ChangeEnvelope(KEY.source(), KEY.resource(), KEY.id(), Op.UPSERT, Instant.ofEpochSecond(second),
                JSON.readTree(data), Origin.WEBHOOK, "d" + second, Instant.now());
    }

    static ChangeEnvelope delete(int second) {
        return new ChangeEnvelope(KEY.source(), KEY.resource(), KEY.id(), Op.DELETE, Instant.ofEpochSecond(second),
                null, Origin.WEBHOOK, "d" + second, Instant.now());
    }

    List<String> fired(StoredState current, ChangeEnvelope... changes) {
        OrderedApply.Result result = OrderedApply.apply(current, List.of(changes));
        List<String> names = new ArrayList<>();
        for (RuleSet.Fired f : rules.edges(KEY, result.transitions())) {
            names.add(f.rule().name() + "@" + f.transition().next().updatedAt().getEpochSecond());
        }
        return names;
    }

    @Test
    void eachAppliedIntermediateStateCountsSoOneBatchFiresTheCrossingOnce() throws Exception {
        // 5k -> 12k -> 8k in one batch, delivered shuffled: applied in updated_at order.
        assertThat(fired(null, upsert(3, "{\"amount\":8000}"), upsert(1, "{\"amount\":5000}"), upsert(2, "{\"amount\":12000}")))
                .containsExactly("created@1", "over-10k@2");
    }

    @Test
    void aStaleChangeIsNoStateAndFiresNothing() throws Exception {
        StoredState stored = StoredState.of(Instant.ofEpochSecond(10), JSON.readTree("{\"amount\":5000}"));
        assertThat(fired(stored, upsert(9, "{\"amount\":50000}"))).isEmpty();
        assertThat(fired(stored, upsert(11, "{\"amount\":50000}"))).containsExactly("over-10k@11");
    }

    @Test
    void deletionIsAFallingEdgeOfTrueAndARestoreIsACreation() throws Exception {
        assertThat(fired(null, upsert(1, "{\"amount\":20000}"), delete(2), upsert(3, "{\"amount\":20000}")))
                .containsExactly("over-10k@1", "created@1", "deleted@2", "over-10k@3", "created@3");
    }

    @Test
    void aPredicateErrorCountsAsFalseAndIsCounted() throws Exception {
        assertThat(fired(null, upsert(1, "{\"no_amount\":1}"), upsert(2, "{\"amount\":20000}")))
                .containsExactly("created@1", "over-10k@2");
        assertThat(metrics.counter("tidemark.rules.evaluation.errors", "rule", "over-10k").count()).isEqualTo(1.0);
    }
}
