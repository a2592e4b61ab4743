package dev.tidemark.poller;

import dev.tidemark.connections.ConnectionVariables;
import dev.tidemark.config.TidemarkConfig;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.HashMap;

/**
 * Ids and paths of nested resources. A record listed under a parent keeps the
 * parent's context in its id: the ids of its ancestors and its own, root
 * first, joined by {@code /} ({@code p1/e7/a3} for attribute a3 of equipment e7
 * of project p1), each segment with {@code %} and {@code /} percent-encoded so
 * an id that contains a slash still splits back into the same segments. Paths
 * name ancestors by resource: {@code /projects/{projects}/equipment/{equipment}/attributes}.
 */
public final class NestedIds {

    private static final Pattern PLACEHOLDER = ConnectionVariables.PLACEHOLDER;

    private NestedIds() {
    }

    /** One raw id as a segment of a record id. */
    public static String segment(String raw) {
        return raw.replace("%", "%25").replace("/", "%2F");
    }

    /**
     * What the ids of a parent's children start with: the parent's record id,
     * which is already made of segments unless the parent is a top-level
     * record (whose id is the provider's own, kept as it is).
     */
    public static String key(String parentId, boolean topLevelParent) {
        return topLevelParent ? segment(parentId) : parentId;
    }

    /** The record id of {@code own} listed under the parent whose {@link #key} is {@code parentKey}. */
    public static String compose(String parentKey, String own) {
        return parentKey + "/" + segment(own);
    }

    /** The raw ids a record id is made of, root first. */
    public static List<String> segments(String id) {
        List<String> segments = new ArrayList<>();
        for (String part : id.split("/", -1)) {
            segments.add(part.replace("%2F", "/").replace("%2f", "/").replace("%25", "%"));
        }
        return segments;
    }

    /** The id of the record this one is listed under: all but its last segment. */
    public static String parentOf(String id) {
        int last = id.lastIndexOf('/');
        return last < 0 ? "" : id.substring(0, last);
    }

    /** The resources a nested resource is listed under, root first (empty for a top-level one). */
    public static List<String> ancestors(TidemarkConfig.Source source, String resource) {
        LinkedList<String> chain = new LinkedList<>();
        Optional<TidemarkConfig.Parent> parent = source.resources().get(resource).parent();
        while (parent.isPresent() && !chain.contains(parent.get().resource()) && source.resources().containsKey(parent.get().resource())) {
            chain.addFirst(parent.get().resource());
            parent = source.resources().get(parent.get().resource()).parent();
        }
        return chain;
    }

    /** The names a path template refers to, in order. */
    public static List<String> placeholders(String template) {
        return ConnectionVariables.placeholders(template);
    }


    /**
     * The template with each {@code {ancestor}} replaced by that ancestor's raw
     * id taken from {@code id} (a record id whose first segments are the
     * ancestors', root first) and {@code {id}} by the segment after them, each
     * encoded for a URL path.
     *
     * @throws IllegalArgumentException if the id has not one segment per ancestor (plus its own, when the template wants it)
     */
    public static String fill(String template, List<String> ancestors, String id, boolean own) {
        List<String> segments = id.isEmpty() ? List.of() : segments(id);
        int expected = ancestors.size() + (own ? 1 : 0);
        if (segments.size() != expected) {
            throw new IllegalArgumentException("the id has " + segments.size() + " segment(s); a record of this resource has "
                    + expected + " (" + String.join("/", ancestors) + (own ? "/id" : "") + ")");
        }
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < ancestors.size(); i++) {
            values.put(ancestors.get(i), segments.get(i));
        }
        if (own) {
            values.put("id", segments.get(ancestors.size()));
        }
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("{" + m.group(1) + "} names no ancestor of this resource");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(PageRequest.segment(value)));
        }
        m.appendTail(out);
        return out.toString();
    }
}
