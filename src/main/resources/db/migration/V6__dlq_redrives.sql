-- Dead letters that were sent back to tidemark.changes by POST /api/dlq/redrive,
-- by their place on the dead-letter topic: a redrive replays each once. One
-- that fails again is dead-lettered anew, at a new offset, and can be redriven
-- again once its cause is fixed.
CREATE TABLE dlq_redrives (
    topic        text        NOT NULL,
    partition    int         NOT NULL,
    "offset"     bigint      NOT NULL,
    redriven_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
);
