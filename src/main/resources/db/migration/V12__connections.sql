-- Connections: one source, many customer accounts (docs/connections.md). A connection is data, created
-- through the API; everything that was kept per source is now kept per (source, connection). The rows
-- written before this migration belong to their source's implicit connection, whose id is '' and whose
-- keys and paths are the source's own, so nothing already stored moves or changes its meaning.
--
-- Credentials and webhook secrets are sealed by the application (AES-256-GCM, docs/operations.md
-- "Secrets"); the key id beside each names the key that sealed it, so a rotation can find what is left.
CREATE TABLE connections (
    uid                     uuid        PRIMARY KEY,            -- bound into each sealed value: a value copied to another row does not open
    source                  text        NOT NULL,
    id                      text        NOT NULL CHECK (id ~ '^[A-Za-z0-9._-]{1,128}$'),
    state                   text        NOT NULL CHECK (state IN ('active', 'paused', 'needs-reauthorization')),
    state_reason            text,
    variables               jsonb       NOT NULL DEFAULT '{}',
    metadata                jsonb,
    schedule                jsonb,
    credentials_key_id      text,
    credentials             bytea,
    credentials_changed_at  timestamptz,
    credentials_version     bigint      NOT NULL DEFAULT 0,       -- moves on every new credential, so a refresh never overwrites a newer one
    webhook_secrets_key_id  text,
    webhook_secrets         bytea,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, id),
    CHECK ((credentials IS NULL) = (credentials_key_id IS NULL)),
    CHECK ((webhook_secrets IS NULL) = (webhook_secrets_key_id IS NULL))
);

-- The values that route a webhook to its connection (a Stripe account id, a Slack team, a shop's domain):
-- unique within a source, so a delivery can never reach two accounts.
CREATE TABLE connection_routing_keys (
    source          text NOT NULL,
    routing_key     text NOT NULL,
    connection_uid  uuid NOT NULL REFERENCES connections (uid) ON DELETE CASCADE,
    PRIMARY KEY (source, routing_key)
);

CREATE INDEX connection_routing_keys_by_connection ON connection_routing_keys (connection_uid);

ALTER TABLE records ADD COLUMN connection text NOT NULL DEFAULT '';
ALTER TABLE records DROP CONSTRAINT records_pkey, ADD PRIMARY KEY (source, connection, resource, id);
DROP INDEX records_by_updated_at;
CREATE INDEX records_by_updated_at ON records (source, connection, resource, updated_at, id);

ALTER TABLE poll_checkpoints ADD COLUMN connection text NOT NULL DEFAULT '';
ALTER TABLE poll_checkpoints DROP CONSTRAINT poll_checkpoints_pkey, ADD PRIMARY KEY (source, connection, resource, parent);

ALTER TABLE poll_leases ADD COLUMN connection text NOT NULL DEFAULT '';
ALTER TABLE poll_leases DROP CONSTRAINT poll_leases_pkey, ADD PRIMARY KEY (source, connection, resource, parent);

ALTER TABLE sync_runs ADD COLUMN connection text NOT NULL DEFAULT '';
DROP INDEX sync_runs_by_source;
CREATE INDEX sync_runs_by_source ON sync_runs (source, connection, started_at DESC);

ALTER TABLE source_auth ADD COLUMN connection text NOT NULL DEFAULT '';
ALTER TABLE source_auth DROP CONSTRAINT source_auth_pkey, ADD PRIMARY KEY (source, connection);

ALTER TABLE refetch_pending ADD COLUMN connection text NOT NULL DEFAULT '';
ALTER TABLE refetch_pending DROP CONSTRAINT refetch_pending_pkey, ADD PRIMARY KEY (source, connection, resource, id);

ALTER TABLE poll_schedule ADD COLUMN connection text NOT NULL DEFAULT '';
ALTER TABLE poll_schedule DROP CONSTRAINT poll_schedule_pkey, ADD PRIMARY KEY (source, connection, resource, kind);
