package dev.tidemark.connections;

/** A create or change that another connection's id or routing key stands in the way of: HTTP 409. */
public class ConnectionConflict extends RuntimeException {

    private final String field;

    public ConnectionConflict(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The request field at fault: {@code id} or {@code routingKeys}. */
    public String field() {
        return field;
    }
}
