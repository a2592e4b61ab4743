import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What bench/connections-at-scale.sh reports, read from the database's
 * sync_runs and the simulator's call log.
 *
 *   java -cp CP bench/src/ScaleReport.java backfilled JDBC PAIRS          -> how many (connection, resource) pairs have completed a run
 *   java -cp CP bench/src/ScaleReport.java report JDBC CALL_LOG FROM TO SCHEDULE_S NOISY SECOND_AT SECOND_READY
 *
 * FROM, TO, SECOND_AT and SECOND_READY are epoch milliseconds: the steady window, when the second replica was
 * launched and when it was ready.
 */
public class ScaleReport {

    record Run(String connection, String resource, String owner, String trigger, String status, long started, long ended, long calls) {
    }

    public static void main(String[] args) throws Exception {
        try (Connection db = DriverManager.getConnection(args[1], "postgres", "postgres")) {
            if (args[0].equals("backfilled")) {
                try (ResultSet rows = db.createStatement().executeQuery(
                        "SELECT count(*) FROM (SELECT DISTINCT connection, resource FROM sync_runs WHERE source = 'accounts' "
                                + "AND status = 'completed') p")) {
                    rows.next();
                    System.out.println(rows.getLong(1));
                }
                return;
            }
            report(db, Path.of(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]), Long.parseLong(args[5]) * 1000,
                    Integer.parseInt(args[6]), Long.parseLong(args[7]), Long.parseLong(args[8]));
        }
    }

    static void report(Connection db, Path callLog, long from, long to, long scheduleMillis, int noisy, long secondAt, long secondReady)
            throws Exception {
        List<Run> runs = new ArrayList<>();
        try (ResultSet rows = db.createStatement().executeQuery("SELECT connection, resource, owner, trigger, status, started_at, "
                + "ended_at, calls FROM sync_runs WHERE source = 'accounts' ORDER BY started_at")) {
            while (rows.next()) {
                Timestamp ended = rows.getTimestamp("ended_at");
                runs.add(new Run(rows.getString("connection"), rows.getString("resource"), rows.getString("owner"), rows.getString("trigger"),
                        rows.getString("status"), rows.getTimestamp("started_at").getTime(), ended == null ? Long.MAX_VALUE : ended.getTime(),
                        rows.getLong("calls")));
            }
        }
        Map<String, List<Run>> byPair = new HashMap<>();
        runs.forEach(r -> byPair.computeIfAbsent(r.connection() + "/" + r.resource(), k -> new ArrayList<>()).add(r));

        // Lateness: each gap between two consecutive runs of a pair that start in the steady window, less the schedule.
        List<Long> late = new ArrayList<>();
        List<Long> lateAlone = new ArrayList<>();
        List<Long> lateTwo = new ArrayList<>();
        List<Long> lateBothReady = new ArrayList<>();
        int overlaps = 0;
        int pairsInWindow = 0;
        for (List<Run> list : byPair.values()) {
            boolean seen = false;
            for (int i = 1; i < list.size(); i++) {
                Run previous = list.get(i - 1);
                Run next = list.get(i);
                if (next.started() < previous.ended() && !"failed".equals(previous.status())) {
                    overlaps++;
                }
                if (next.started() >= from && next.started() <= to) {
                    long gap = next.started() - previous.started() - scheduleMillis;
                    late.add(gap);
                    (next.started() < secondAt ? lateAlone : lateTwo).add(gap);
                    // Two replicas both at work: the second's start-up (its JVM, its first claims) and one schedule
                    // interval after it over, so every gap measured is between two runs of the pair it made.
                    if (next.started() >= secondReady + scheduleMillis) {
                        lateBothReady.add(gap);
                    }
                    seen = true;
                }
            }
            // A pair with no run starting in the window at all was starved for the whole window.
            if (!seen && to - from > scheduleMillis * 11 / 10) {
                late.add(to - from);
            }
            pairsInWindow += seen ? 1 : 0;
        }
        Collections.sort(late);
        long within = late.stream().filter(l -> l <= scheduleMillis / 10).count();
        System.out.printf("pairs: %d; polled in the steady window: %d; gaps measured: %d%n", byPair.size(), pairsInWindow, late.size());
        System.out.printf("lateness beyond the %d s schedule (jitter of up to 5 %% included): p50 %.1f s, p99 %.1f s, max %.1f s; "
                        + "within schedule + 10 %%: %.2f %%%n", scheduleMillis / 1000, pct(late, 50) / 1000.0, pct(late, 99) / 1000.0,
                late.isEmpty() ? 0 : late.get(late.size() - 1) / 1000.0, late.isEmpty() ? 0 : 100.0 * within / late.size());
        for (List<Long> part : List.of(lateAlone, lateTwo, lateBothReady)) {
            Collections.sort(part);
            System.out.printf("  %s (%d gaps): p50 %.1f s, p99 %.1f s, max %.1f s; within + 10 %%: %.2f %%%n",
                    part == lateAlone ? "one replica" : part == lateTwo ? "two replicas, from the second's launch"
                            : "two replicas, from a schedule interval after the second was ready", part.size(), pct(part, 50) / 1000.0, pct(part, 99) / 1000.0,
                    part.isEmpty() ? 0 : part.get(part.size() - 1) / 1000.0,
                    part.isEmpty() ? 0 : 100.0 * part.stream().filter(l -> l <= scheduleMillis / 10).count() / part.size());
        }
        System.out.printf("runs of one pair overlapping in time: %d%n", overlaps);
        Map<String, Long> byOwner = new HashMap<>();
        runs.stream().filter(r -> r.started() >= secondAt && r.started() <= to)
                .forEach(r -> byOwner.merge(r.owner().replaceAll("-[0-9a-f]{8}$", ""), 1L, Long::sum));
        System.out.printf("runs after the second replica started, by replica: %s%n", byOwner);

        // The simulator's view: 429s, and how much of its quota each account used while it had a backfill to do.
        Map<String, List<long[]>> calls = new HashMap<>();
        long limited = 0;
        long noisyRefused = 0;
        long noisyLimited = 0;
        for (String line : Files.readAllLines(callLog)) {
            String[] f = line.split(" ");
            int status = Integer.parseInt(f[3]);
            boolean isNoisy = Integer.parseInt(f[1].substring(1)) < noisy;
            if (status == 429) {
                if (isNoisy) {
                    noisyLimited++;
                } else {
                    limited++;
                }
            }
            if (status == 4291) {
                noisyRefused++;
            }
            calls.computeIfAbsent(f[1], k -> new ArrayList<>()).add(new long[] {Long.parseLong(f[0]), status});
        }
        System.out.printf("429 answered to the %d quiet accounts: %d; to the %d noisy ones: %d for their quota, %d every third call%n",
                calls.size() - noisy, limited, noisy, noisyLimited, noisyRefused);
        // How much of its quota an account used while it had a run going: each stretch in which a run of it was
        // under way (its runs' intervals merged), from the stretch's first call to its last, against the quota's
        // spacing (n calls need n - 1 spacings of 0.5 s). Stretches of 5 calls or more: backfills, mostly.
        List<Double> used = new ArrayList<>();
        Map<String, List<long[]>> busyByTenant = new HashMap<>();
        for (Run run : runs) {
            busyByTenant.computeIfAbsent(run.connection(), k -> new ArrayList<>()).add(new long[] {run.started(), run.ended()});
        }
        for (Map.Entry<String, List<long[]>> entry : calls.entrySet()) {
            if (Integer.parseInt(entry.getKey().substring(1)) < noisy) {
                continue;
            }
            List<long[]> stretches = busyByTenant.getOrDefault(entry.getKey(), List.of());
            stretches.sort((x, y) -> Long.compare(x[0], y[0]));
            List<long[]> merged = new ArrayList<>();
            for (long[] stretch : stretches) {
                if (!merged.isEmpty() && stretch[0] <= merged.get(merged.size() - 1)[1]) {
                    merged.get(merged.size() - 1)[1] = Math.max(merged.get(merged.size() - 1)[1], stretch[1]);
                } else {
                    merged.add(new long[] {stretch[0], stretch[1]});
                }
            }
            for (long[] stretch : merged) {
                List<Long> in = new ArrayList<>();
                for (long[] call : entry.getValue()) {
                    if (call[0] >= stretch[0] && call[0] <= stretch[1]) {
                        in.add(call[0]);
                    }
                }
                if (in.size() >= 5) {
                    double seconds = (in.get(in.size() - 1) - in.get(0)) / 1000.0;
                    used.add(Math.min(1.0, (in.size() - 1) / (seconds * 2)));
                }
            }
        }
        Collections.sort(used);
        long atLeast95 = used.stream().filter(u -> u >= 0.95).count();
        System.out.printf("quota used while a run was under way (%d stretches of 5 calls or more, quiet accounts): p5 %.1f %%, p50 %.1f %%, min %.1f %%; "
                        + "at 95 %% or more: %.1f %%%n", used.size(), 100 * pctD(used, 5), 100 * pctD(used, 50),
                used.isEmpty() ? 0 : 100 * used.get(0), used.isEmpty() ? 0 : 100.0 * atLeast95 / used.size());
    }

    static long pct(List<Long> sorted, int p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static double pctD(List<Double> sorted, int p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }
}
