-- The webhook deliveries whose refetch was served lately, by delivery id and record: a delivery replayed
-- within tidemark.poller.refetch-replay-window is dropped before it costs a provider call. Schemes without a
-- signed timestamp (GitHub, Shopify, HMAC without one) accept a captured delivery at any time; applying it
-- is a no-op, but a thin one would read the record from the provider on every replay. Rows older than the
-- window are removed by the poller.
CREATE TABLE refetch_deliveries (
    source       text        NOT NULL,
    delivery_id  text        NOT NULL,
    record_key   text        NOT NULL,
    seen_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, delivery_id, record_key)
);

CREATE INDEX refetch_deliveries_seen ON refetch_deliveries (seen_at);
