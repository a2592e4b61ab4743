package dev.tidemark.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import dev.tidemark.config.ConfigFixtures;
import dev.tidemark.config.TidemarkConfig;
import java.time.Instant;
import java.util.Map;
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
        return mapper.map(JSON.readTree(json), Map.of(), "d-1", NOW);
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

    private final TidemarkConfig providers = ConfigFixtures.load("""
            tidemark:
              sources:
                gh:
                  webhook:
                    scheme: github
                    secrets: [s]
                    event-type-header: X-GitHub-Event
                  resources:
                    issues:
                      webhook:
                        events: [issues]
                        record: /issue
                        delete-when: "event.action == 'deleted' || ('x-test' in headers && headers['x-test'] == 'gone')"
                shop:
                  webhook:
                    scheme: shopify
                    secrets: [s]
                    event-type-header: X-Shopify-Topic
                  resources:
                    products:
                      webhook:
                        events: [products/update]
                        delete-events: [products/delete]
                        updated-at-header: X-Shopify-Triggered-At
                chat:
                  webhook:
                    scheme: slack
                    secrets: [s]
                    event-type: /event/type
                    challenge: {when: "event.type == 'url_verification'", answer: /challenge}
                  resources:
                    users:
                      webhook: {events: [user_change], record: /event/user, updated-at: /event_time}
            """);

    /** Slack checks the URL with a url_verification event (its docs' example) and wants the challenge back. */
    @Test
    void theProvidersCheckOfTheUrlIsAnsweredWithItsChallengeAndChangesNothing() throws Exception {
        DeliveryMapper slack = new DeliveryMapper("chat", providers.sources().get("chat"));
        MappingResult check = slack.map(JSON.readTree("{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":"
                + "\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}"), Map.of(), "d-1", NOW);
        assertThat(check).isEqualTo(new MappingResult.Answer("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
        // A challenge that is no handshake's (a newline to split a response, or far too long) is refused.
        MappingResult split = slack.map(JSON.readTree("{\"challenge\":\"a\\r\\nSet-Cookie: x\",\"type\":\"url_verification\"}"),
                Map.of(), "d-2", NOW);
        assertThat(split).isInstanceOfSatisfying(MappingResult.Invalid.class, invalid -> assertThat(invalid.field()).isEqualTo("/challenge"));
        // Any other event is mapped as ever.
        MappingResult event = slack.map(JSON.readTree("{\"type\":\"event_callback\",\"event_time\":1700000000,"
                + "\"event\":{\"type\":\"user_change\",\"user\":{\"id\":\"U1\"}}}"), Map.of(), "d-3", NOW);
        assertThat(((MappingResult.Changes) event).changes()).singleElement().satisfies(c -> assertThat(c.id()).isEqualTo("U1"));
    }

    /** GitHub names the event by its header and the body's action: the action decides whether the issue is deleted. */
    @Test
    void aDeletePredicateOverTheEventAndItsHeadersTurnsAnEventOfAnUpsertTypeIntoADelete() throws Exception {
        DeliveryMapper github = new DeliveryMapper("gh", providers.sources().get("gh"));
        String issue = "{\"action\":\"%s\",\"issue\":{\"id\":7,\"updated_at\":\"2026-11-20T10:00:00Z\"}}";
        MappingResult edited = github.map(JSON.readTree(issue.formatted("edited")), Map.of("x-github-event", "issues"), "d-1", NOW);
        assertThat(((MappingResult.Changes) edited).changes()).singleElement().satisfies(c -> {
            assertThat(c.op()).isEqualTo(Op.UPSERT);
            assertThat(c.id()).isEqualTo("7");
        });
        MappingResult deleted = github.map(JSON.readTree(issue.formatted("deleted")), Map.of("x-github-event", "issues"), "d-2", NOW);
        assertThat(((MappingResult.Changes) deleted).changes()).singleElement().satisfies(c -> {
            assertThat(c.op()).isEqualTo(Op.DELETE);
            assertThat(c.updatedAt()).isEqualTo(Instant.parse("2026-11-20T10:00:00Z"));
        });
        MappingResult byHeader = github.map(JSON.readTree(issue.formatted("edited")), Map.of("x-github-event", "issues", "x-test", "gone"),
                "d-3", NOW);
        assertThat(((MappingResult.Changes) byHeader).changes()).singleElement().satisfies(c -> assertThat(c.op()).isEqualTo(Op.DELETE));
        // An event the predicate cannot be evaluated on (no action, a number where a string is compared) is refused, naming
        // the predicate; it is not guessed to be an upsert.
        MappingResult noAction = github.map(JSON.readTree("{\"issue\":{\"id\":7,\"updated_at\":\"2026-11-20T10:00:00Z\"}}"),
                Map.of("x-github-event", "issues"), "d-4", NOW);
        assertThat(noAction).isInstanceOfSatisfying(MappingResult.Invalid.class, invalid -> assertThat(invalid.field()).isEqualTo("delete-when"));
    }

    /** Shopify's products/delete body is only the id: the time of the change comes from its header. */
    @Test
    void aDeleteWithoutUpdatedAtTakesItsTimeFromTheNamedHeader() throws Exception {
        DeliveryMapper shopify = new DeliveryMapper("shop", providers.sources().get("shop"));
        Map<String, String> headers = Map.of("x-shopify-topic", "products/delete", "x-shopify-triggered-at", "2026-11-20T10:00:27.877041Z");
        MappingResult deleted = shopify.map(JSON.readTree("{\"id\":788032119674292922}"), headers, "d-1", NOW);
        assertThat(((MappingResult.Changes) deleted).changes()).singleElement().satisfies(c -> {
            assertThat(c.op()).isEqualTo(Op.DELETE);
            assertThat(c.id()).isEqualTo("788032119674292922");
            assertThat(c.updatedAt()).isEqualTo(Instant.parse("2026-11-20T10:00:27.877041Z"));
        });
        // The record's own updated_at comes first.
        MappingResult updated = shopify.map(JSON.readTree("{\"id\":1,\"updated_at\":\"2026-11-19T08:00:00-05:00\"}"),
                Map.of("x-shopify-topic", "products/update", "x-shopify-triggered-at", "2026-11-20T10:00:27Z"), "d-2", NOW);
        assertThat(((MappingResult.Changes) updated).changes()).singleElement()
                .satisfies(c -> assertThat(c.updatedAt()).isEqualTo(Instant.parse("2026-11-19T13:00:00Z")));
        // A header time ahead of the delivery's arrival (the header is not signed: a replay with a time far ahead would
        // write a delete nothing could ever beat) is refused.
        MappingResult ahead = shopify.map(JSON.readTree("{\"id\":1}"),
                Map.of("x-shopify-topic", "products/delete", "x-shopify-triggered-at", "9999-12-31T00:00:00Z"), "d-4", NOW);
        assertThat(ahead).isInstanceOfSatisfying(MappingResult.Invalid.class, invalid -> assertThat(invalid.detail()).contains("later than"));
        // Neither: refused, naming both places.
        MappingResult neither = shopify.map(JSON.readTree("{\"id\":1}"), Map.of("x-shopify-topic", "products/delete"), "d-3", NOW);
        assertThat(neither).isInstanceOfSatisfying(MappingResult.Invalid.class,
                invalid -> assertThat(invalid.field()).contains("/updated_at").contains("X-Shopify-Triggered-At"));
    }
}
