-- The SSH public keys operators log in with (`madoguchi operator key add`). A key belongs to
-- one operator name; a session opened with it acts as that operator, with the role of the
-- operator's newest token row.
CREATE TABLE ssh_keys (
    fingerprint TEXT PRIMARY KEY NOT NULL,
    operator    TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    added_at    TEXT NOT NULL
);
CREATE INDEX ssh_keys_operator ON ssh_keys (operator);
