package dev.tidemark.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.cel.CelPredicate.Outcome;
import org.junit.jupiter.api.Test;

class RulePredicateTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void aComprehensionOverAProvidersHugeArrayStopsAtTheIterationBoundAsAnError() throws Exception {
        StringBuilder items = new StringBuilder("{\"items\": [");
        for (int i = 0; i < 2_000; i++) {
            items.append(i == 0 ? "" : ",").append(i);
        }
        JsonNode record = json(items.append("]}").toString());
        // 2,000 x 2,000 = four million iterations: past the bound, an error (false, and counted), not minutes.
        RulePredicate quadratic = RulePredicate.compile("record.items.all(x, record.items.exists(y, y == x))");
        assertThat(quadratic.test(record)).isEqualTo(Outcome.ERROR);
        assertThat(RulePredicate.compile("record.items.exists(x, x == 1999)").test(record)).isEqualTo(Outcome.TRUE);
    }

    @Test
    void comparesJsonIntegersAndDecimalsWithIntegerLiterals() throws Exception {
        RulePredicate over = RulePredicate.compile("record.amount >= 10000");
        assertThat(over.test(json("{\"amount\": 12000}"))).isEqualTo(Outcome.TRUE);
        assertThat(over.test(json("{\"amount\": 10000.5}"))).isEqualTo(Outcome.TRUE);
        assertThat(over.test(json("{\"amount\": 9999.99}"))).isEqualTo(Outcome.FALSE);
        assertThat(over.test(json("{\"amount\": 5000}"))).isEqualTo(Outcome.FALSE);
    }

    @Test
    void readsNestedObjectsListsStringsBooleansAndNull() throws Exception {
        RulePredicate p = RulePredicate.compile(
                "record.status == 'active' && record.owner.tier in ['gold', 'platinum'] && size(record.tags) > 1 && record.note == null && record.paid");
        assertThat(p.test(json("{\"status\":\"active\",\"owner\":{\"tier\":\"gold\"},\"tags\":[\"a\",\"b\"],\"note\":null,\"paid\":true}")))
                .isEqualTo(Outcome.TRUE);
        assertThat(p.test(json("{\"status\":\"active\",\"owner\":{\"tier\":\"iron\"},\"tags\":[\"a\",\"b\"],\"note\":null,\"paid\":true}")))
                .isEqualTo(Outcome.FALSE);
        assertThat(RulePredicate.compile("has(record.note)").test(json("{\"amount\": 1}"))).isEqualTo(Outcome.FALSE);
    }

    @Test
    void aMissingFieldOrAWrongTypeIsAnErrorNotAnException() throws Exception {
        RulePredicate over = RulePredicate.compile("record.amount >= 10000");
        assertThat(over.test(json("{\"other\": 1}"))).isEqualTo(Outcome.ERROR);
        assertThat(over.test(json("{\"amount\": \"lots\"}"))).isEqualTo(Outcome.ERROR);
        assertThat(Outcome.ERROR.holds()).isFalse();
    }

    @Test
    void anAbsentOrDeletedRecordIsFalseEvenForTrue() throws Exception {
        RulePredicate always = RulePredicate.compile("true");
        assertThat(always.test(null)).isEqualTo(Outcome.FALSE);
        assertThat(always.test(json("null"))).isEqualTo(Outcome.FALSE);
        assertThat(always.test(json("{}"))).isEqualTo(Outcome.TRUE);
    }

    @Test
    void aPredicateThatDoesNotParseOrIsNotBooleanIsRefusedWithCelsReason() {
        assertThatThrownBy(() -> RulePredicate.compile("record.amount >="))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mismatched input");
        assertThatThrownBy(() -> RulePredicate.compile("record.amount + 1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bool");
        assertThatThrownBy(() -> RulePredicate.compile("amount > 1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("amount");
    }
}
