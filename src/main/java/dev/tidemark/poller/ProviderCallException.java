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

    /**
     * Whether the same call may succeed later: the provider out of quota, failing (5xx, a timeout, no answer at all),
     * or asking for credentials (401, 403: a token can be renewed or a grant configured). Anything else it refused
     * outright: asking again the same way is no use.
     */
    public boolean mayPass() {
        return quota || status < 0 || status == 401 || status == 403 || status == 408 || status == 429 || status >= 500;
    }
}
