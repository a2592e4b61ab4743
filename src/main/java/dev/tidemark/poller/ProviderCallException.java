package dev.tidemark.poller;

/**
 * A call that did not bring a page. {@code quota} marks a run cut short by the
 * provider's rate limit (it waits longer than a run may): the run keeps its
 * checkpoint and ends partial, not failed.
 */
public class ProviderCallException extends RuntimeException {

    private final boolean quota;

    public ProviderCallException(String message, boolean quota) {
        super(message);
        this.quota = quota;
    }

    public boolean quota() {
        return quota;
    }
}
