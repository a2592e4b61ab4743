package dev.tidemark.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.config.ConfigFixtures;
import dev.tidemark.config.TidemarkConfig;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DeliveryMapperTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private final TidemarkConfig config = ConfigFixtures.load("""
            tidemark:
              sources:
                crm:
                  webhook:
                    scheme: hmac
                    secrets: [s]
                    event-type: /event/name
                  resources:
                    contacts:
                      id: /contact_id
                      updated-at: /modified
                      webhook:
                        events: [contact.changed]
                        delete-events: [contact.removed]
                        record: /payload
                    deals:
                      webhook:
                        events: [deal.updated]
            """);
    private final DeliveryMapper mapper = new DeliveryMapper("crm", config.sources().get("crm"));

    MappingResult map(String json) throws Exception {
        return mapper.map(JSON.readTree(json), header -> null, "d-1", NOW);
    }

    @Test
    void mapsAnEventToAChangeOfItsResource() throws Exception {
        var result = (MappingResult.Changes) map("""
                {"event":{"name":"contact.changed"},"payload":{"contact_id":42,"modified":1795514400000,"name":"Ada"}}""");
        ChangeEnvelope change = result.changes().get(0);
        assertThat(change.key().kafkaKey()).isEqualTo("crm/contacts/42");
        assertThat(change.op()).isEqualTo(Op.UPSERT);
        assertThat(change.origin()).isEqualTo(Origin.WEBHOOK);
        assertThat(change.updatedAt()).isEqualTo(Instant.parse("2026-11-24T10:00:00Z"));
        assertThat(change.data().get("name").asText()).isEqualTo("Ada");
        assertThat(change.deliveryId()).isEqualTo("d-1");
        assertThat(change.observedAt()).isEqualTo(NOW);
    }

    @Test
    void mapsDeleteEventsToTombstonesWithoutData() throws Exception {
        var result = (MappingResult.Changes) map("""
                {"event":{"name":"contact.removed"},"payload":{"contact_id":"c-1","modified":"2026-11-24T10:00:00Z"}}""");
        assertThat(result.changes().get(0).op()).isEqualTo(Op.DELETE);
        assertThat(result.changes().get(0).data()).isNull();
    }

    @Test
    void anArrayCarriesSeveralEventsAndUnmappedOnesAreSkipped() throws Exception {
        var result = (MappingResult.Changes) map("""
                [{"event":{"name":"contact.changed"},"payload":{"contact_id":"a","modified":"2026-11-24T10:00:00Z"}},
                 {"event":{"name":"invoice.paid"}},
                 {"event":{"name":"deal.updated"},"id":"d","updated_at":"2026-11-24T10:00:01Z"}]""");
        assertThat(result.changes()).extracting(c -> c.key().kafkaKey()).containsExactly("crm/contacts/a", "crm/deals/d");
    }

    @Test
    void anUnmappedEventTypeIsIgnoredNotAnError() throws Exception {
        assertThat(map("{\"event\":{\"name\":\"invoice.paid\"}}")).isInstanceOf(MappingResult.Ignored.class);
        assertThat(map("[]")).isInstanceOf(MappingResult.Ignored.class);
    }

    @Test
    void namesTheMissingOrMalformedField() throws Exception {
        assertThat(map("{\"payload\":{}}")).isEqualTo(new MappingResult.Invalid("/event/name", "event type is missing or not a string"));
        assertThat(map("{\"event\":{\"name\":\"contact.changed\"}}"))
                .isEqualTo(new MappingResult.Invalid("/payload", "record is missing or not an object"));
        assertThat(((MappingResult.Invalid) map("{\"event\":{\"name\":\"contact.changed\"},\"payload\":{\"modified\":1}}")).field())
                .isEqualTo("/payload/contact_id");
        assertThat(((MappingResult.Invalid) map("{\"event\":{\"name\":\"contact.changed\"},\"payload\":{\"contact_id\":1,\"modified\":\"soon\"}}")).field())
                .isEqualTo("/payload/modified");
        assertThat(((MappingResult.Invalid) map("[{\"event\":{\"name\":\"deal.updated\"},\"id\":\"d\"}]")).field())
                .isEqualTo("[0]/updated_at");
        assertThat(((MappingResult.Invalid) map("[1]")).field()).isEqualTo("[0]");
        assertThat(((MappingResult.Invalid) map("\"text\"")).field()).isEqualTo("body");
    }
}
