package dev.tidemark.poller;

import dev.tidemark.change.JsonPointers;
import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import java.util.List;

/**
 * The kinds of pagination a list endpoint may use ({@code list.pagination.type}):
 * each makes its {@link Pagination}, checks its own settings, and says
 * whether its walk may shift while the list changes. A new kind is one
 * constant here and one class for its walk.
 */
public enum PaginationKind implements ConfigKind {

    CURSOR(false) {
        @Override
        Pagination create(ListQuery query, TidemarkConfig.Pagination settings) {
            return new CursorPagination(query, settings.cursorParam(), settings.cursorPath());
        }

        @Override
        void problems(String key, TidemarkConfig.Pagination settings, List<String> problems) {
            nonEmptyPointer(key + ".cursor-path", settings.cursorPath(), problems);
        }
    },
    LAST_ITEM(false) {
        @Override
        Pagination create(ListQuery query, TidemarkConfig.Pagination settings) {
            return new LastItemPagination(query, settings.cursorParam(), settings.hasMorePath(), settings.lastItemPath());
        }

        @Override
        void problems(String key, TidemarkConfig.Pagination settings, List<String> problems) {
            nonEmptyPointer(key + ".has-more-path", settings.hasMorePath(), problems);
            nonEmptyPointer(key + ".last-item-path", settings.lastItemPath(), problems);
        }
    },
    NEXT_URL(false) {
        @Override
        Pagination create(ListQuery query, TidemarkConfig.Pagination settings) {
            return new NextUrlPagination(query, settings.nextUrlPath(), settings.endPath());
        }

        @Override
        void problems(String key, TidemarkConfig.Pagination settings, List<String> problems) {
            nonEmptyPointer(key + ".next-url-path", settings.nextUrlPath(), problems);
            settings.endPath().ifPresent(end -> nonEmptyPointer(key + ".end-path", end, problems));
        }
    },
    LINK_HEADER(false) {
        @Override
        Pagination create(ListQuery query, TidemarkConfig.Pagination settings) {
            return new LinkHeaderPagination(query);
        }
    },
    PAGE(true) {
        @Override
        Pagination create(ListQuery query, TidemarkConfig.Pagination settings) {
            return new PageNumberPagination(query, settings.pageParam(), settings.firstPage());
        }
    },
    OFFSET(true) {
        @Override
        Pagination create(ListQuery query, TidemarkConfig.Pagination settings) {
            return new OffsetPagination(query, settings.offsetParam());
        }
    };

    /** An index walk (page number, offset): a record before its position that disappears shifts the rest past it. */
    private final boolean indexed;

    PaginationKind(boolean indexed) {
        this.indexed = indexed;
    }

    abstract Pagination create(ListQuery query, TidemarkConfig.Pagination settings);

    /** A pointer that must name something inside: the empty pointer (the whole document) is never a flag or an id. */
    private static void nonEmptyPointer(String key, String pointer, List<String> problems) {
        if (pointer.isEmpty()) {
            problems.add(key + ": must point inside the document, e.g. /has_more; was empty");
        } else {
            JsonPointers.problem(key, pointer).ifPresent(problems::add);
        }
    }

    /** What is wrong with this kind's own settings, each problem naming its key under {@code key} (the pagination's). */
    void problems(String key, TidemarkConfig.Pagination settings, List<String> problems) {
    }

    /** The pagination a list endpoint configures. */
    public static Pagination of(ListQuery query, TidemarkConfig.Pagination settings) {
        return ConfigKind.of(PaginationKind.class, settings.type()).create(query, settings);
    }

    /**
     * Whether a walk of this list can miss a record while the list changes:
     * an index walk without a compound (updated_at, id) keyset. A
     * reconciliation sweep over it would delete a record the provider still has.
     */
    public static boolean mayShift(TidemarkConfig.ListEndpoint list) {
        return ConfigKind.named(PaginationKind.class, list.pagination().type()).map(kind -> kind.indexed).orElse(false)
                && list.updatedSince().flatMap(TidemarkConfig.UpdatedSince::afterIdParam).isEmpty();
    }

    /** The list's pagination problems: an unknown type, or the settings of its kind. */
    public static void check(String key, TidemarkConfig.Pagination settings, List<String> problems) {
        ConfigKind.checked(key + ".type", PaginationKind.class, settings.type(), problems)
                .ifPresent(kind -> kind.problems(key, settings, problems));
    }
}
