-- Issue 16: a connection's own rate limit, when its account's quota is not the source's
-- (a provider's plans differ per account). NULL: the source's api.rate-limit.
-- {"requestsPerSecond": 2.0, "burst": 1, "maxConcurrency": 3}, each key optional.
-- Adding a nullable column with no default takes no table rewrite: replicas of the previous
-- release keep running beside this one (they never read the column).
ALTER TABLE connections ADD COLUMN rate_limit jsonb;
