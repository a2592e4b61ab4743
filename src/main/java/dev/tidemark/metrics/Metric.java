package dev.tidemark.metrics;

/**
 * Every metric Tidemark exports, by name, in one place: what a dashboard
 * or an alert may rely on (docs/operations.md lists them with their tags;
 * Prometheus adds the unit and _total).
 * Tags never carry a record's data or a secret.
 */
public final class Metric {

    private Metric() {
    }

    // The receiver
    /** Webhook deliveries answered, by source and outcome. */
    public static final String WEBHOOK_DELIVERIES = "tidemark.webhook.deliveries";
    /** Time for Kafka to acknowledge a delivery's changes, by source. */
    public static final String WEBHOOK_KAFKA_ACK = "tidemark.webhook.kafka.ack";
    /** Deliveries whose signature did not verify, by source and reason. */
    public static final String WEBHOOK_VERIFICATION_FAILURES = "tidemark.webhook.verification.failures";

    // The HTTP edge
    /** Requests answered 500 because of a defect (each logged once with an error id). */
    public static final String HTTP_FAILURES = "tidemark.http.failures";
    /** Requests answered 4xx by the HTTP edge's filters and mappers, by status. */
    public static final String HTTP_REFUSED = "tidemark.http.refused";
    /** Requests answered 5xx on purpose (503 while a dependency is down), by status. */
    public static final String HTTP_UNAVAILABLE = "tidemark.http.unavailable";

    // The processor and its rules
    /** Changes the processor decided on, by source, resource and decision (apply-newer, stale, duplicate...). */
    public static final String PROCESSOR_CHANGES = "tidemark.processor.changes";
    /** Changes moved to the dead-letter queue. */
    public static final String PROCESSOR_DEAD_LETTERS = "tidemark.processor.dead.letters";
    /** Webhook changes dead-lettered because no connection holds their routing key, by source. */
    public static final String PROCESSOR_UNKNOWN_CONNECTIONS = "tidemark.processor.unknown.connections";
    /** Records tombstoned, by source and resource. */
    public static final String PROCESSOR_DELETED = "tidemark.processor.deleted";
    /** Tombstoned records brought back by a newer upsert, by source and resource. */
    public static final String PROCESSOR_RESTORED = "tidemark.processor.restored";
    /** Rule events written to the outbox, by event type. */
    public static final String EVENTS_WRITTEN = "tidemark.events.written";
    /** Rule predicates that could not be evaluated on a record, by rule. */
    public static final String RULE_EVALUATION_ERRORS = "tidemark.rules.evaluation.errors";

    // The outbox and its relay
    /** Outbox rows not yet published. */
    public static final String OUTBOX_BACKLOG = "tidemark.outbox.backlog";
    /** Age of the oldest unpublished outbox row. */
    public static final String OUTBOX_OLDEST_AGE_SECONDS = "tidemark.outbox.oldest.age.seconds";
    /** Time to claim a page of outbox rows. */
    public static final String RELAY_CLAIM = "tidemark.relay.claim";
    /** Time for the sink to acknowledge a claimed page (named for Kafka, the first sink). */
    public static final String RELAY_SINK_ACK = "tidemark.relay.kafka.ack";
    /** Time of one relay pass that published rows. */
    public static final String RELAY_PASS = "tidemark.relay.pass";
    /** Rows one relay pass published. */
    public static final String RELAY_PASS_ROWS = "tidemark.relay.pass.rows";
    /** Outbox rows published, by topic. */
    public static final String RELAY_PUBLISHED = "tidemark.relay.published";
    /** Outbox rows the sink refused for good, by topic. */
    public static final String RELAY_UNPUBLISHABLE = "tidemark.relay.unpublishable";

    // The poller
    /** Calls to providers' APIs, by source, resource and status. */
    public static final String POLLER_API_CALLS = "tidemark.poller.api.calls";
    /** 1 for a source whose provider refused its OAuth2 grant, else 0; by source. */
    public static final String POLLER_AUTH_NEEDS_REAUTHORIZATION = "tidemark.poller.auth.needs.reauthorization";
    /** 1 while a source's circuit breaker is open, by source. */
    public static final String POLLER_CIRCUIT_OPEN = "tidemark.poller.circuit.open";
    /** Next-page links to an origin credentials may not go to, by source. */
    public static final String POLLER_ORIGIN_REFUSED = "tidemark.poller.origin.refused";
    /** Parents a nested resource's runs visited, by source, resource and outcome. */
    public static final String POLLER_PARENTS = "tidemark.poller.parents";
    /** Provider answers that asked Tidemark to wait (429, quota headers), by source. */
    public static final String POLLER_RATE_LIMITED = "tidemark.poller.rate.limited";
    /** Records a poll or sweep put downstream, by source and resource. */
    public static final String POLLER_RECORDS = "tidemark.poller.records";
    /** Single-record reads, by source, resource and outcome. */
    public static final String POLLER_REFETCHES = "tidemark.poller.refetches";
    /** Refetches waiting for their time. */
    public static final String POLLER_REFETCHES_PENDING = "tidemark.poller.refetches.pending";
    /** Runs ended, by source, resource, mode and status. */
    public static final String POLLER_RUNS = "tidemark.poller.runs";
    /** Runs in flight in this replica (the pool, tidemark.poller.max-runs). */
    public static final String POLLER_RUNS_IN_FLIGHT = "tidemark.poller.runs.in.flight";
    /** Schedule rows due now, in every replica's view (one count). */
    public static final String POLLER_DUE_BACKLOG = "tidemark.poller.due.backlog";
    /** Connections of a source by state: per source and state, never per connection (thousands of them). */
    public static final String CONNECTIONS = "tidemark.connections";
    /** How long the oldest due schedule row has waited, in seconds (0 when none is due). */
    public static final String POLLER_DUE_OLDEST_AGE = "tidemark.poller.due.oldest.age.seconds";
    /** Deletes a reconciliation sweep put downstream, by source and resource. */
    public static final String POLLER_SWEEP_DELETES = "tidemark.poller.sweep.deletes";
}
