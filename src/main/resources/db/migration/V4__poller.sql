-- The poller's own rows. parent is '' for a top-level resource and the parent
-- record's id for a nested one, so one table holds both.

-- Where each walk stands: everything before this position is on tidemark.changes.
-- Written after every page Kafka acknowledged; a run killed mid-way resumes here.
CREATE TABLE poll_checkpoints (
    source      text        NOT NULL,
    resource    text        NOT NULL,
    parent      text        NOT NULL DEFAULT '',
    mode        text        NOT NULL,              -- incremental | full
    status      text        NOT NULL,              -- running | completed | partial | failed
    run_id      uuid        NOT NULL,
    since       timestamptz,                       -- the filter the walk began with
    updated_at  timestamptz,                       -- (updated_at, last_id, seen): the last item taken,
    last_id     text,                              -- and how many items at that updated_at were taken
    seen        bigint      NOT NULL DEFAULT 0,
    token       text,                              -- the provider's next-page token or URL, or the next index
    saved_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, resource, parent)
);

-- One row per run: what it cost the provider and how it ended.
CREATE TABLE sync_runs (
    id                uuid        PRIMARY KEY,
    source            text        NOT NULL,
    resource          text        NOT NULL,
    parent            text        NOT NULL DEFAULT '',
    mode              text        NOT NULL,        -- incremental | full | reconcile
    trigger           text        NOT NULL,        -- schedule | api
    status            text        NOT NULL,        -- running | completed | partial | failed
    owner             text        NOT NULL,        -- the replica that ran it
    started_at        timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz,
    calls             bigint      NOT NULL DEFAULT 0,
    pages             bigint      NOT NULL DEFAULT 0,
    records           bigint      NOT NULL DEFAULT 0,
    retries           bigint      NOT NULL DEFAULT 0,
    rate_limit_waits  bigint      NOT NULL DEFAULT 0,
    waited_ms         bigint      NOT NULL DEFAULT 0,
    error             text
);

CREATE INDEX sync_runs_by_source ON sync_runs (source, started_at DESC);

-- Which replica polls a resource now. Taken when free or expired, renewed
-- after every page; a replica that dies lets its lease run out.
CREATE TABLE poll_leases (
    source      text        NOT NULL,
    resource    text        NOT NULL,
    parent      text        NOT NULL DEFAULT '',
    owner       text        NOT NULL,
    run_id      uuid        NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (source, resource, parent)
);

-- A source's OAuth2 state that must outlive a restart: the refresh token the
-- provider rotated to (the configured one is only the seed: seed_hash tells
-- whether the operator has since configured a new one), and whether the
-- provider refused the grant, so the source needs a person to re-authorize it.
CREATE TABLE source_auth (
    source                 text        PRIMARY KEY,
    seed_hash              text        NOT NULL,
    refresh_token          text,
    needs_reauthorization  boolean     NOT NULL DEFAULT false,
    reason                 text,
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- The ids a reconciliation sweep saw, while it runs. Only a sweep that read
-- every page compares them with the table; then they are removed.
CREATE TABLE sweep_seen (
    run_id  uuid NOT NULL,
    id      text NOT NULL,
    PRIMARY KEY (run_id, id)
);
