package dev.tidemark.poller;

/**
 * A call that did not bring a page. {@code quota} marks a run cut short by the
 * provider's rate limit (it waits longer than a run may): the run keeps its
 * checkpoint and ends partial, not failed.
 */
public class ProviderCallException extends RuntimeException {

    private final boolean quota;
    private final int status;

    /** @param status the provider's answer, or -1 when there was none (the call failed, a grant was refused) */
    public ProviderCallException(String message, boolean quota, int status) {
        super(message);
        this.quota = quota;
        this.status = status;
    }

    public boolean quota() {
        return quota;
    }

    public int status() {
        return status;
    }
}
