-- What deleted connections left in the records table, removed by the processors a batch at a time
-- (processor/ConnectionRemains). Without a purge, every row goes. With one, each live record got a delete through
-- Kafka: its tombstone goes once applied, a row a page in flight brought after the purge began (applied_at at or
-- after deleted_at) goes too, and a row still waiting for its delete stays until it comes. Until a connection's
-- row here is gone, a connection of the same id cannot be created again: its first changes would meet the old
-- tombstones and be taken for stale.
CREATE TABLE connection_purges (
    source      text        NOT NULL,
    connection  text        NOT NULL,
    purge       boolean     NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, connection)
);
