package dev.tidemark.poller;

import dev.tidemark.rules.RulePredicate;
import java.util.List;
import java.util.Optional;

/** A nested resource's place under its parent resource, resolved from configuration. */
record Nest(String parentResource, List<String> ancestors, Optional<RulePredicate> when, boolean skipUnchanged) {

    /** The parent is a top-level record: its id is the provider's, not made of segments. */
    boolean topLevelParent() {
        return ancestors.size() == 1;
    }
}
