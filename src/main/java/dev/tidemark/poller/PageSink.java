package dev.tidemark.poller;

import io.smallrye.mutiny.Uni;
import java.util.List;

/** What a walk does with each page's records once they are read: put them downstream and note where it stands. */
@FunctionalInterface
interface PageSink {
    /** Returns how many records went downstream. */
    Uni<Integer> accept(List<ListItem> items, Position next);
}
