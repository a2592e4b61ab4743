package dev.tidemark.api;

import dev.tidemark.connections.ConnectionStore;
import dev.tidemark.http.Problem;
import dev.tidemark.secrets.SecretBox;
import dev.tidemark.secrets.SecretsException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The secrets Tidemark stores, by key (docs/operations.md "Secrets"): how
 * many sealed values each key fingerprint holds, and the step of a key
 * rotation that seals them all again under the current key. Never a value.
 */
@Path("/api/secrets")
@Produces(MediaType.APPLICATION_JSON)
public class SecretsResource {

    private static final Logger LOG = Logger.getLogger(SecretsResource.class);

    /** Rows sealed again per transaction: short locks, and progress kept if the replica stops half-way. */
    static final int RESEAL_BATCH = 100;

    private final ConnectionStore connections;
    private final SecretBox box;

    public SecretsResource(ConnectionStore connections, SecretBox box) {
        this.connections = connections;
        this.box = box;
    }

    /** {@code {"currentKey": fingerprint or null, "sealedByKey": {fingerprint: count}}}. */
    @GET
    public Uni<Map<String, Object>> sealed() {
        return connections.sealedByKey().map(this::body);
    }

    /**
     * Seals every stored value that is under another key again under the
     * current one, a batch per transaction, and answers what is left by key
     * (only the current key's, when done). Safe to repeat and to run on two
     * replicas at once (the rows of a batch are locked).
     */
    @POST
    @Path("/reseal")
    public Uni<Response> reseal() {
        if (!box.canSeal()) {
            return Uni.createFrom().item(Problem.response(Response.Status.CONFLICT,
                    "tidemark.secrets.key is not set on this replica: there is no key to seal again under"));
        }
        return resealAll(0).chain(resealed -> connections.sealedByKey().map(left -> {
            LOG.infof("secrets sealed again under key %s: %d connections", box.currentKeyId().orElse("?"), resealed);
            Map<String, Object> body = body(left);
            body.put("resealedConnections", resealed);
            return Response.ok(body).build();
        })).onFailure(SecretsException.class).recoverWithItem(failure -> Problem.response(Response.Status.CONFLICT,
                failure.getMessage()));
    }

    private Uni<Long> resealAll(long done) {
        return connections.resealBatch(RESEAL_BATCH).chain(count -> count == 0 ? Uni.createFrom().item(done) : resealAll(done + count));
    }

    private Map<String, Object> body(Map<String, Long> byKey) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("currentKey", box.currentKeyId().orElse(null));
        body.put("sealedByKey", new TreeMap<>(byKey));
        return body;
    }
}
