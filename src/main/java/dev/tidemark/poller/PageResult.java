package dev.tidemark.poller;

import java.util.List;

/**
 * What one page means for a walk.
 *
 * @param take     the items to put on Kafka, in order
 * @param next     the position once they are on Kafka: the checkpoint
 * @param last     no page follows
 * @param rewound  the page did not continue where the last one ended (the list changed under the walk): nothing
 *                 is taken and the walk goes back to the first item at its updated_at, so nothing is skipped
 */
public record PageResult(List<ListItem> take, Position next, boolean last, boolean rewound) {

    static PageResult taken(List<ListItem> take, Position from, boolean last) {
        Position next = from;
        for (ListItem item : take) {
            next = next.after(item);
        }
        return new PageResult(take, next, last, false);
    }

    static PageResult rewind(Position from) {
        return new PageResult(List.of(), from.rewound(), false, true);
    }
}
