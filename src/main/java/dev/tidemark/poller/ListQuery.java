package dev.tidemark.poller;

import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A resource's list endpoint as configured: its path, fixed parameters, page size and changed-since filter. */
public record ListQuery(String path, Map<String, String> params, int pageSize, Optional<String> pageSizeParam,
        Optional<String> sinceParam, SinceFormat sinceFormat, Optional<String> afterIdParam) {

    public static ListQuery of(TidemarkConfig.ListEndpoint list) {
        Optional<TidemarkConfig.UpdatedSince> since = list.updatedSince();
        return new ListQuery(list.path(), Map.copyOf(list.params()), list.pageSize(), list.pageSizeParam(),
                since.map(TidemarkConfig.UpdatedSince::param), since.map(s -> ConfigKind.of(SinceFormat.class, s.format())).orElse(SinceFormat.ISO),
                since.flatMap(TidemarkConfig.UpdatedSince::afterIdParam));
    }

    /** The same query on another path (a nested resource's, filled in for one parent). */
    public ListQuery withPath(String other) {
        return new ListQuery(other, params, pageSize, pageSizeParam, sinceParam, sinceFormat, afterIdParam);
    }

    public boolean filtered() {
        return sinceParam.isPresent();
    }

    /** The parameters of a first page: the fixed ones, the size, and the filter from {@code since} (none if null). */
    public Map<String, String> parameters(Instant since, int count) {
        Map<String, String> query = new LinkedHashMap<>(params);
        pageSizeParam.ifPresent(param -> query.put(param, Integer.toString(count)));
        if (since != null) {
            sinceParam.ifPresent(param -> query.put(param, format(since)));
        }
        return query;
    }

    /**
     * The filter value for {@code at}. Coarser formats round down, so the
     * inclusive filter still takes every item at {@code at}.
     */
    String format(Instant at) {
        return sinceFormat.format(at);
    }
}
