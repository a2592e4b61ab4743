package dev.tidemark.processor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.change.ChangeEnvelope;
import dev.tidemark.change.Op;
import dev.tidemark.change.Origin;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random true histories of lab/items records (see the %test rules in
 * application.yaml) and the model of what the rules must make of them: the
 * truth of each rule on each state, written independently of the product's
 * code, so a test can compare what the processor wrote with what should be.
 */
final class LabHistory {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SOURCE = "lab";
    static final String RESOURCE = "items";
    static final List<String> RULES = List.of("lab-created", "lab-deleted", "lab-over-10k", "lab-unflagged");

    /** One true state of a record; data is null for a tombstone. */
    record Version(String id, Instant at, JsonNode data, Origin origin) {
        boolean deleted() {
            return data == null;
        }

        ChangeEnvelope change() {
            return new ChangeEnvelope(SOURCE, RESOURCE, id, deleted() ? Op.DELETE : Op.UPSERT, at, data, origin,
                    "lab-" + id + "-" + at.toEpochMilli(), Instant.now());
        }
    }

    final Map<String, List<Version>> histories = new HashMap<>();

    /** records × (min..max) versions each, strictly increasing updated_at per record, deletes and restores among them. */
    LabHistory(Random random, String prefix, int records, int minVersions, int maxVersions) {
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        double[] amounts = {5000, 9000, 9999.5, 10000, 12000, 20000.25};
        for (int r = 0; r < records; r++) {
            String id = prefix + "-" + r;
            List<Version> versions = new ArrayList<>();
            Instant at = start.plusSeconds(random.nextInt(1000));
            int n = minVersions + random.nextInt(maxVersions - minVersions + 1);
            for (int v = 0; v < n; v++) {
                // Microsecond steps, sometimes only one apart: normalization must keep them distinct.
                at = at.plusNanos(1000L * (1 + random.nextInt(random.nextBoolean() ? 2 : 5_000_000)));
                Origin origin = random.nextInt(4) == 0 ? Origin.POLL : Origin.WEBHOOK;
                if (v > 0 && random.nextInt(6) == 0) {
                    versions.add(new Version(id, at, null, origin));
                    continue;
                }
                ObjectNode data = JSON.createObjectNode();
                data.put("id", id);
                double amount = amounts[random.nextInt(amounts.length)];
                if (amount == Math.rint(amount)) {
                    data.put("amount", (int) amount);
                } else {
                    data.put("amount", amount);
                }
                int flag = random.nextInt(3);
                if (flag < 2) {
                    data.put("flag", flag == 0);
                }
                data.put("version", v);
                versions.add(new Version(id, at, data, origin));
            }
            histories.put(id, versions);
        }
    }

    /** The rule's predicate, as the %test configuration states it, on one state (null: never seen). */
    static boolean holds(String rule, Version state) {
        if (state == null || state.deleted()) {
            return false;
        }
        JsonNode data = state.data();
        return switch (rule) {
            case "lab-created", "lab-deleted" -> true;
            case "lab-over-10k" -> data.get("amount").asDouble() >= 10000;
            case "lab-unflagged" -> data.has("flag") && data.get("flag").asBoolean();
            default -> throw new IllegalArgumentException(rule);
        };
    }

    static boolean rising(String rule) {
        return !rule.equals("lab-deleted") && !rule.equals("lab-unflagged");
    }

    static boolean fires(String rule, Version before, Version after) {
        boolean b = holds(rule, before);
        boolean a = holds(rule, after);
        return rising(rule) ? !b && a : b && !a;
    }

    /** The edges of the true history, as "rule record updatedAt" strings. */
    List<String> trueEdges() {
        List<String> edges = new ArrayList<>();
        histories.forEach((id, versions) -> {
            Version before = null;
            for (Version version : versions) {
                for (String rule : RULES) {
                    if (fires(rule, before, version)) {
                        edges.add(rule + " " + id + " " + version.at());
                    }
                }
                before = version;
            }
        });
        return edges;
    }

    /** Every version of every record, each record's in order, records interleaved at random. */
    List<ChangeEnvelope> inOrder(Random random) {
        Map<String, Integer> next = new HashMap<>();
        List<String> ids = new ArrayList<>(histories.keySet());
        ids.sort(null);
        List<ChangeEnvelope> changes = new ArrayList<>();
        while (!ids.isEmpty()) {
            String id = ids.get(random.nextInt(ids.size()));
            int v = next.merge(id, 1, Integer::sum) - 1;
            changes.add(histories.get(id).get(v).change());
            if (v + 1 == histories.get(id).size()) {
                ids.remove(id);
            }
        }
        return changes;
    }

    /** Redeliveries: about one change in five comes again, right away or a few places later. */
    static List<ChangeEnvelope> withDuplicates(Random random, List<ChangeEnvelope> changes) {
        List<ChangeEnvelope> out = new ArrayList<>(changes);
        for (int i = changes.size() - 1; i >= 0; i--) {
            if (random.nextInt(5) == 0) {
                int at = Math.min(out.size(), i + 1 + random.nextInt(4));
                out.add(at, changes.get(i));
            }
        }
        return out;
    }

    /** Cuts the stream into batches of 1 to max changes. */
    static List<List<ChangeEnvelope>> batches(Random random, List<ChangeEnvelope> changes, int max) {
        List<List<ChangeEnvelope>> batches = new ArrayList<>();
        for (int i = 0; i < changes.size(); ) {
            int size = 1 + random.nextInt(max);
            batches.add(new ArrayList<>(changes.subList(i, Math.min(changes.size(), i + size))));
            i += size;
        }
        return batches;
    }
}
