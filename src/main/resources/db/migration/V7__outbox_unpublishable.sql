-- A row Kafka will never take (larger than the broker or producer accepts) is
-- marked published with the reason here, so it no longer blocks every row
-- behind it; the relay counts and logs it (tidemark_relay_unpublishable_total).
ALTER TABLE outbox ADD COLUMN unpublishable text;
