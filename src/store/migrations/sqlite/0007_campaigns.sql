-- 架電キャンペーン: a worklist made from a filter, its members (one per institution), each
-- call's attempt with its outcome, and the do-not-call mark kept on the institution.
-- Whether a member still matches the filter is read, never stored: a member joins its
-- institution's current application, so a change from any route makes it leave by itself.

CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    -- The filter: a reader status, and JSON lists of prefectures and kinds ('[]' = all).
    status      TEXT NOT NULL,
    prefectures TEXT NOT NULL DEFAULT '[]',
    kinds       TEXT NOT NULL DEFAULT '[]',
    state       TEXT NOT NULL CHECK (state IN ('active', 'paused', 'closed')),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    closed_at   TEXT
);

-- `state` is the member's own progress (open, done, exhausted); `rank` its kind's place in
-- the policy's order, so `next` reads open members in order from one index. The lease is the
-- last operator it was handed to (`leased_by`, kept after the lease lapses: only they may
-- record its outcome) and until when (`lease_until`), with the call it started.
CREATE TABLE campaign_members (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
    code          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    prefecture    TEXT NOT NULL,
    rank          INTEGER NOT NULL,
    added_at      TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'exhausted')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try_at   TEXT NOT NULL,
    outcome       TEXT,
    done_at       TEXT,
    leased_by     TEXT,
    lease_until   TEXT,
    lease_call_id INTEGER,
    UNIQUE (campaign_id, code)
);
CREATE INDEX campaign_members_next ON campaign_members (campaign_id, state, attempts, rank, id);
CREATE INDEX campaign_members_code ON campaign_members (code);
CREATE INDEX campaign_members_lessee ON campaign_members (leased_by, lease_until);

CREATE TABLE campaign_attempts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns (id),
    member_id      INTEGER NOT NULL REFERENCES campaign_members (id),
    operator       TEXT NOT NULL,
    call_id        INTEGER,
    outcome        TEXT NOT NULL,
    receipt_no     TEXT,
    at             TEXT NOT NULL,
    handle_seconds INTEGER
);
CREATE INDEX campaign_attempts_campaign ON campaign_attempts (campaign_id, operator);
CREATE INDEX campaign_attempts_member ON campaign_attempts (member_id, at);

-- 架電不要: the institution asked not to be called; every later campaign skips it.
CREATE TABLE institution_do_not_call (
    code        TEXT PRIMARY KEY NOT NULL,
    campaign_id INTEGER,
    marked_by   TEXT NOT NULL,
    marked_at   TEXT NOT NULL
);
