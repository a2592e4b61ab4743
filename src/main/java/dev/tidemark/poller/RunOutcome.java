package dev.tidemark.poller;

/** How a run ended: completed, partial (cut short by the provider's quota) or failed, and why. */
record RunOutcome(RunStatus status, String error, Throwable failure) {

    static final RunOutcome COMPLETED = new RunOutcome(RunStatus.COMPLETED, null, null);

    RunOutcome(RunStatus status, String error) {
        this(status, error, null);
    }

    static RunOutcome of(Throwable failure) {
        return new RunOutcome(status(failure), failure.getMessage(), failure);
    }

    /** A quota that ran out leaves the run partial (the next one goes on); anything else failed it. */
    static RunStatus status(Throwable failure) {
        return failure instanceof ProviderCallException call && call.quota() ? RunStatus.PARTIAL : RunStatus.FAILED;
    }
}
