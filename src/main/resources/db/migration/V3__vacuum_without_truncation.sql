-- Both tables churn all day: records are rewritten on every applied change, and
-- outbox rows are inserted, marked and removed. When VACUUM finds empty pages at
-- a table's end it truncates them, which takes an ACCESS EXCLUSIVE lock that
-- stops every processor and relay on that table until it is granted and done.
-- The pages would be refilled within seconds anyway; keep them.
ALTER TABLE records SET (vacuum_truncate = false);
ALTER TABLE outbox SET (vacuum_truncate = false);
