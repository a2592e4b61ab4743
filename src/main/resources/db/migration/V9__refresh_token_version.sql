-- A rotated refresh token carries a version: each rotation a replica saves is one more than the token it
-- replaced. A replica takes a stored token only when it is newer than the one it holds, so a save that
-- failed (the database away at that moment) never has the old token read back over the new one, and the
-- save that comes later never replaces a newer token with an older one. Rolls: old replicas ignore the column.
ALTER TABLE source_auth ADD COLUMN refresh_version bigint NOT NULL DEFAULT 0;
