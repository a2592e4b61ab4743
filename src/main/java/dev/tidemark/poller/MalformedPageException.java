package dev.tidemark.poller;

/** A page the configuration cannot read: not JSON, no items array, an item without id or updated_at. */
public class MalformedPageException extends RuntimeException {

    public MalformedPageException(String message) {
        super(message);
    }
}
