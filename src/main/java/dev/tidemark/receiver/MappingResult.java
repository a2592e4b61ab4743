package dev.tidemark.receiver;

import dev.tidemark.change.ChangeEnvelope;
import java.util.List;

/** What a verified delivery turns into: changes to publish, a reason to ignore it, or a field that is wrong. */
public sealed interface MappingResult {

    record Changes(List<ChangeEnvelope> changes) implements MappingResult {
    }

    /** A well-formed delivery whose event type feeds no resource; answered 200 so the provider does not retry. */
    record Ignored(String reason) implements MappingResult {
    }

    /** The provider's check of the URL (webhook.challenge): answered 200 with this text, and nothing else happens. */
    record Answer(String text) implements MappingResult {
    }

    /** The body or a mapped event lacks something required; answered 400 naming the field. */
    record Invalid(String field, String detail) implements MappingResult {
    }
}
