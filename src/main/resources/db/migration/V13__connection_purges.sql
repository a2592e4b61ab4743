-- Connections deleted with purge=true whose records are still being tombstoned: the processor removes their
-- tombstones once applied, and then the row. Until then a connection of the same id cannot be created again (its
-- new records would meet the old tombstones and be taken for stale).
CREATE TABLE connection_purges (
    source      text        NOT NULL,
    connection  text        NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, connection)
);
