-- The local copy of every provider record, one row per (source, resource, id).
-- updated_at is the record's own timestamp, normalized to microseconds UTC
-- (timestamptz keeps microseconds). A row whose updated_at is NULL was created
-- only to be locked by the processor and has never held a state: the read API
-- treats it as never seen.
CREATE TABLE records (
    source        text        NOT NULL,
    resource      text        NOT NULL,
    id            text        NOT NULL,
    updated_at    timestamptz,
    deleted       boolean     NOT NULL DEFAULT false,
    data          jsonb,
    content_hash  bytea,
    applied_at    timestamptz,
    PRIMARY KEY (source, resource, id)
);

-- Listing by source/resource in updated_at order (GET /api/records/{source}/{resource}?updatedSince=).
CREATE INDEX records_by_updated_at ON records (source, resource, updated_at, id);

-- Events and changelog entries, written in the same transaction as the record
-- they describe (Debezium's outbox shape). id is the deterministic event id:
-- a second insert of the same edge is a no-op, so redelivery never makes a
-- second distinct event.
CREATE TABLE outbox (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            text        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    aggregate_id  text        NOT NULL,
    type          text        NOT NULL,
    payload       jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);

CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
