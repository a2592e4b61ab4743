package dev.tidemark.change;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a change asks of the stored record. */
public enum Op {
    UPSERT,
    DELETE,
    /** Only the id is known (a thin webhook, an ordering conflict): the record must be fetched again. */
    REFETCH;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
