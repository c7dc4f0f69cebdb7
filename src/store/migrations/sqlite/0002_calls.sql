-- The live call: wrap-up reasons, the caller's number of a screen pop, handle time, call-backs,
-- FAQ answers given during a call, and the telephony role.

-- Set when the call is closed: whole seconds from start to end (the reports' handle time).
ALTER TABLE calls ADD COLUMN handle_seconds INTEGER;
-- The number the phone system reported (screen pop); never used to call anyone back.
ALTER TABLE calls ADD COLUMN caller_phone TEXT;
-- The call-back this call makes, when an operator took one.
ALTER TABLE calls ADD COLUMN callback_id INTEGER;
CREATE INDEX calls_operator ON calls (operator, started_at);

CREATE TABLE call_reasons (
    call_id INTEGER NOT NULL REFERENCES calls (id),
    reason  TEXT NOT NULL,
    PRIMARY KEY (call_id, reason)
);

-- An FAQ answer shown or copied during a call, with the entry's version at the time.
CREATE TABLE call_faq (
    call_id     INTEGER NOT NULL REFERENCES calls (id),
    faq_id      TEXT NOT NULL,
    faq_version INTEGER NOT NULL,
    question    TEXT NOT NULL,
    copied      INTEGER NOT NULL DEFAULT 0,
    at          TEXT NOT NULL,
    PRIMARY KEY (call_id, faq_id, faq_version)
);

-- Each FAQ entry counts its edits, so a call's record names the answer as it was read.
ALTER TABLE faq_entries ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- 折り返し: `phone` is copied from the institution's registered phone, never typed.
CREATE TABLE callbacks (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code           TEXT NOT NULL,
    phone          TEXT NOT NULL,
    reason         TEXT NOT NULL,
    due_at         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    origin_call_id INTEGER,
    call_id        INTEGER,
    taken_by       TEXT,
    outcome        TEXT CHECK (outcome IN ('reached', 'no_answer', 'not_needed')),
    done_at        TEXT
);
CREATE INDEX callbacks_due ON callbacks (due_at);
CREATE INDEX callbacks_open ON callbacks (done_at, due_at);

-- Roles are checked by the application (Role::parse on every write and read), so a new role
-- (here `telephony`, for the phone system's screen pops) needs no table rebuild. SQLite cannot
-- drop a CHECK constraint: the table is rebuilt once, without it.
CREATE TABLE operators_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
INSERT INTO operators_new (id, name, role, token_hash, created_at)
    SELECT id, name, role, token_hash, created_at FROM operators;
DROP TABLE operators;
ALTER TABLE operators_new RENAME TO operators;
