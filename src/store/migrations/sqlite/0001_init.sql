-- madoguchi schema, SQLite. Dates are ISO 'YYYY-MM-DD' text, instants RFC 3339 UTC text with
-- microseconds ('2021-07-15T01:02:03.000000Z', so text order is time order), booleans 0/1.

CREATE TABLE institutions (
    code          TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    name_kana     TEXT,
    kana_inferred INTEGER NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL CHECK (kind IN ('hospital', 'medical_clinic', 'dental_clinic', 'pharmacy')),
    prefecture    TEXT NOT NULL,
    city          TEXT NOT NULL,
    postal_code   TEXT NOT NULL,
    address       TEXT NOT NULL,
    phone         TEXT,
    large_chain   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE reader_models (
    id     TEXT PRIMARY KEY NOT NULL,
    maker  TEXT NOT NULL,
    name   TEXT NOT NULL,
    sample INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE applications (
    code       TEXT PRIMARY KEY NOT NULL REFERENCES institutions (code),
    status     TEXT NOT NULL
               CHECK (status IN ('not_applied', 'undecided', 'selected', 'shipped', 'cancelled')),
    model_id   TEXT,
    units      INTEGER NOT NULL DEFAULT 0,
    applied_on TEXT,
    version    INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX applications_status ON applications (status);

CREATE TABLE subsidy_claims (
    code             TEXT PRIMARY KEY NOT NULL REFERENCES institutions (code),
    status           TEXT NOT NULL
                     CHECK (status IN ('submitted', 'under_review', 'returned', 'approved', 'paid')),
    project_cost_yen INTEGER NOT NULL,
    units            INTEGER NOT NULL,
    submitted_on     TEXT NOT NULL,
    decided_on       TEXT,
    paid_on          TEXT,
    payable_yen      INTEGER NOT NULL
);

-- Calls keep their institution code without a foreign key: a call outlives a re-seed.
CREATE TABLE calls (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    operator   TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    code       TEXT,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_code ON calls (code, started_at);

CREATE TABLE call_receipts (
    call_id    INTEGER NOT NULL REFERENCES calls (id),
    receipt_no TEXT NOT NULL,
    PRIMARY KEY (call_id, receipt_no)
);

CREATE TABLE faq_entries (
    id       TEXT PRIMARY KEY NOT NULL,
    question TEXT NOT NULL,
    answer   TEXT NOT NULL,
    category TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '[]'
);

-- Only the SHA-256 of a token is ever stored.
CREATE TABLE operators (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'service')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE idempotency (
    key          TEXT NOT NULL,
    operator     TEXT NOT NULL,
    code         TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (key, operator)
);

CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY NOT NULL,
    at         TEXT NOT NULL,
    operator   TEXT NOT NULL,
    action     TEXT NOT NULL,
    code       TEXT,
    receipt_no TEXT UNIQUE,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_events_code ON audit_events (code, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
