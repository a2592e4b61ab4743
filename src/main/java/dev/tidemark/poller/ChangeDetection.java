package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import java.util.List;

/** How the poller tells that a listed record changed ({@code resources.X.change-detection}). */
public enum ChangeDetection implements ConfigKind {

    /** By the record's own updated_at: every listed record goes downstream, and the processor orders them. */
    UPDATED_AT,
    /** For records that carry no updated_at: by their content's hash against the local copy. */
    HASH;

    public static ChangeDetection of(TidemarkConfig.Resource resource) {
        return ConfigKind.of(ChangeDetection.class, resource.changeDetection());
    }

    /** The resource's change-detection problems, each naming its key under {@code key} (the resource's). */
    public static void check(String key, TidemarkConfig.Resource resource, List<String> problems) {
        ConfigKind.unknown(key + ".change-detection", ChangeDetection.class, resource.changeDetection()).ifPresent(problems::add);
        if (HASH.configName().equals(resource.changeDetection())
                && resource.list().flatMap(TidemarkConfig.ListEndpoint::updatedSince).isPresent()) {
            problems.add(key + ".list.updated-since: a resource with change-detection: hash has no updated_at to filter on; "
                    + "every poll walks the whole list");
        }
    }
}
