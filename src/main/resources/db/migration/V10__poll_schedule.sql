-- Schedules are data: each resource's next incremental poll and next reconciliation sweep are rows that
-- every poller replica reads, not timers of its own. A replica starts what is due, oldest first, and moves
-- the row's due time one interval (and a little jitter) on once it started the run. Work whose resource is
-- held by another run stays due and starts as soon as that run ends: a sweep can no longer lose every turn
-- to the poll that holds its resource. A replica that dies mid-run leaves a lease that expires; the next
-- due time is already written, and the work after it is another replica's to start.
CREATE TABLE poll_schedule (
    source    text        NOT NULL,
    resource  text        NOT NULL,
    kind      text        NOT NULL CHECK (kind IN ('poll', 'sweep')),
    every_ms  bigint      NOT NULL CHECK (every_ms > 0),
    due_at    timestamptz NOT NULL,
    PRIMARY KEY (source, resource, kind)
);

CREATE INDEX poll_schedule_due ON poll_schedule (due_at);
