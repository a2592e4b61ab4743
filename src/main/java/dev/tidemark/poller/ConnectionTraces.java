package dev.tidemark.poller;

import dev.tidemark.change.Connection;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What the poller keeps of a connection besides its leases: schedule rows, checkpoints, runs and refetches. A
 * connection deleted leaves none; one created with an earlier one's id starts from none.
 */
@ApplicationScoped
public class ConnectionTraces {

    /**
     * One statement, one round trip on one connection of the pool, all or nothing: a burst of creates, each with
     * four DELETEs at once, took four of the pool's connections apiece from the poller's own statements (review).
     */
    static final String FORGET = """
            WITH schedule AS (DELETE FROM poll_schedule WHERE source = $1 AND connection = $2),
                checkpoints AS (DELETE FROM poll_checkpoints WHERE source = $1 AND connection = $2),
                runs AS (DELETE FROM sync_runs WHERE source = $1 AND connection = $2),
                refetches AS (DELETE FROM refetch_pending WHERE source = $1 AND connection = $2)
            SELECT 1""";

    private final Pool pool;

    public ConnectionTraces(Pool pool) {
        this.pool = pool;
    }

    /** Removes every schedule row, checkpoint, run and pending refetch of the connection: it is polled no more. */
    public Uni<Void> forget(Connection connection) {
        return forget(pool, connection);
    }

    /** The same, on {@code db}: a create's own transaction. */
    public Uni<Void> forget(SqlClient db, Connection connection) {
        return db.preparedQuery(FORGET).execute(Tuple.of(connection.source(), connection.id())).replaceWithVoid();
    }
}
