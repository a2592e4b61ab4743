-- Issue 16: who is renewing a connection's OAuth2 grant now, and until when that claim holds (the
-- token endpoint's deadline and a margin, extended while the renewal goes on): the others wait for
-- the row to go, holding nothing, then take the token. A replica that dies renewing leaves its claim
-- to run out. And when a shared token was obtained, so that a replica refused a token takes only one
-- obtained after that refusal.
CREATE TABLE oauth_renewals (
    source      text        NOT NULL,
    connection  text        NOT NULL,
    owner       text        NOT NULL,
    until       timestamptz NOT NULL,
    PRIMARY KEY (source, connection)
);

ALTER TABLE oauth_tokens ADD COLUMN obtained_at timestamptz NOT NULL DEFAULT now();
