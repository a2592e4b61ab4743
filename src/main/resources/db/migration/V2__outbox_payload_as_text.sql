-- The outbox holds the exact bytes the relay publishes (a CloudEvent as the
-- CloudEvents library wrote it, a record as the read API shows it). As jsonb,
-- PostgreSQL parsed each payload on insert and re-printed it on claim, with its
-- own key order and spacing; as text it is stored and sent as written. Query it
-- with payload::jsonb.
ALTER TABLE outbox ALTER COLUMN payload TYPE text USING payload::text;
