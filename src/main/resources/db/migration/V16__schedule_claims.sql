-- Issue 16: a claimed schedule row says until when it is claimed, so that a connection's share of runs
-- (tidemark.poller.max-runs-per-connection) counts the rows another replica has claimed and not yet
-- started, as well as the runs holding leases. NULL: not claimed. A nullable column without a default:
-- no table rewrite; replicas of the previous release ignore it.
ALTER TABLE poll_schedule ADD COLUMN claimed_until timestamptz;
