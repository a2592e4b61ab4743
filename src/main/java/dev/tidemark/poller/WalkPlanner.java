package dev.tidemark.poller;

import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.connections.ConnectionVariables;
import dev.tidemark.processor.LocalCopy.LiveRecord;
import dev.tidemark.rules.RulePredicate;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/** The first stage of a run: what to walk, resolved from the source's configuration and the connection's account. */
@ApplicationScoped
class WalkPlanner {

    private final TidemarkConfig config;

    WalkPlanner(TidemarkConfig config) {
        this.config = config;
    }

    /** The walk of a top-level resource (for a nested one, the template its walks under each parent are made from). */
    Walk walk(Account account, SyncTarget target) {
        return walk(account, target, null, null);
    }

    /** The walk of a nested resource's children under {@code parent}: its own checkpoint, its path filled in. */
    Walk walk(Account account, SyncTarget target, Nest nest, LiveRecord parent) {
        TidemarkConfig.Source source = config.sources().get(target.source());
        TidemarkConfig.Resource resource = source.resources().get(target.resource());
        TidemarkConfig.ListEndpoint list = resource.list().orElseThrow();
        // The connection's variables first: what is left are the ancestors' ids, which NestedIds fills.
        String path = ConnectionVariables.fill(list.path(), account.variables());
        ListQuery query = ListQuery.of(list).withPath(path);
        String parentKey = "";
        if (parent != null) {
            parentKey = NestedIds.key(parent.id(), nest.topLevelParent());
            query = query.withPath(NestedIds.fill(path, nest.ancestors(), parentKey, false));
        }
        boolean byHash = ChangeDetection.of(resource) == ChangeDetection.HASH;
        return new Walk(target.under(parentKey), account,
                query, PaginationKind.of(query, list.pagination()),
                new ItemReader(list.items(), resource.id(), byHash ? Optional.empty() : Optional.of(resource.updatedAt())),
                resource.lookback(), byHash, PaginationKind.mayShift(list), parentKey, parent == null ? null : parent.updatedAt(),
                RunBounds.of(target.resource(), resource, config.poller()));
    }

    /** Where a nested resource sits under its parent; empty for a top-level one. */
    Optional<Nest> nest(SyncTarget target) {
        TidemarkConfig.Source source = config.sources().get(target.source());
        return source.resources().get(target.resource()).parent().map(parent -> new Nest(parent.resource(),
                NestedIds.ancestors(source, target.resource()),
                parent.when().filter(when -> !when.isBlank()).map(RulePredicate::compile),
                parent.skipUnchanged()));
    }
}
