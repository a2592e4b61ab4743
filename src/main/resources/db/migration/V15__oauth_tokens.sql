-- Issue 16: one OAuth2 access token per connection shared by every replica, so that a renewal done by
-- one replica (under an advisory lock per connection) is taken by the others instead of renewed again.
-- The token is sealed (tidemark.secrets.key); without a key nothing is written here and each replica
-- keeps its own. grant_hash names the grant the token came from (a hash, never a secret): a token of
-- an earlier grant (new credentials, a re-created connection) is never taken.
CREATE TABLE oauth_tokens (
    source      text        NOT NULL,
    connection  text        NOT NULL,
    grant_hash  text        NOT NULL,
    key_id      text        NOT NULL,
    token       bytea       NOT NULL,
    renew_at    timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, connection)
);
