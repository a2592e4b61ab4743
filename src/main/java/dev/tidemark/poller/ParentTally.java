package dev.tidemark.poller;

/** How a nested run went over its parents. */
final class ParentTally {
    int walked;
    int unchanged;
    int filtered;
    int gone;
    int failed;
    int failedInARow;
    String firstFailure;
    /** The parent a run stopped at (a quota, too many failures in a row): where the next one starts. */
    String stoppedAt;

    String summary() {
        return walked + " parents walked, " + unchanged + " skipped as unchanged, " + filtered
                + " left out by parent.when, " + gone + " gone at the provider, " + failed + " failed";
    }
}

