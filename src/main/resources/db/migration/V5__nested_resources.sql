-- A nested resource keeps one checkpoint per parent (poll_checkpoints.parent
-- is the parent's key). parent_updated_at is the parent's updated_at when the
-- last completed walk of its children began: while the parent's local copy
-- still has it, an incremental poll with parent.skip-unchanged skips them.
ALTER TABLE poll_checkpoints ADD COLUMN parent_updated_at timestamptz;
