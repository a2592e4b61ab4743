-- Refetches that failed for a reason that can pass (the provider down or out of
-- quota, its circuit open, Kafka away): kept here, one row per record, and tried
-- again with back-off by the poller (RefetchQueue), so the request's offset can
-- be committed without losing it. A newer request for the same record folds in.
CREATE TABLE refetch_pending (
    source       text        NOT NULL,
    resource     text        NOT NULL,
    id           text        NOT NULL,
    updated_at   timestamptz NOT NULL,
    observed_at  timestamptz NOT NULL,
    origin       text        NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,
    last_error   text,
    PRIMARY KEY (source, resource, id)
);

CREATE INDEX refetch_pending_due ON refetch_pending (next_at);
