-- madoguchi schema, PostgreSQL. Same shape as the SQLite schema so both backends share their
-- queries: dates are ISO 'YYYY-MM-DD' text, instants RFC 3339 UTC text with microseconds (text
-- order is time order), integers BIGINT.

CREATE TABLE institutions (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_kana     TEXT,
    kana_inferred BOOLEAN NOT NULL DEFAULT FALSE,
    kind          TEXT NOT NULL CHECK (kind IN ('hospital', 'medical_clinic', 'dental_clinic', 'pharmacy')),
    prefecture    TEXT NOT NULL,
    city          TEXT NOT NULL,
    postal_code   TEXT NOT NULL,
    address       TEXT NOT NULL,
    phone         TEXT,
    large_chain   BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE reader_models (
    id     TEXT PRIMARY KEY,
    maker  TEXT NOT NULL,
    name   TEXT NOT NULL,
    sample BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE applications (
    code       TEXT PRIMARY KEY REFERENCES institutions (code),
    status     TEXT NOT NULL
               CHECK (status IN ('not_applied', 'undecided', 'selected', 'shipped', 'cancelled')),
    model_id   TEXT,
    units      BIGINT NOT NULL DEFAULT 0,
    applied_on TEXT,
    version    BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX applications_status ON applications (status);

CREATE TABLE subsidy_claims (
    code             TEXT PRIMARY KEY REFERENCES institutions (code),
    status           TEXT NOT NULL
                     CHECK (status IN ('submitted', 'under_review', 'returned', 'approved', 'paid')),
    project_cost_yen BIGINT NOT NULL,
    units            BIGINT NOT NULL,
    submitted_on     TEXT NOT NULL,
    decided_on       TEXT,
    paid_on          TEXT,
    payable_yen      BIGINT NOT NULL
);

-- Calls keep their institution code without a foreign key: a call outlives a re-seed.
CREATE TABLE calls (
    id         BIGSERIAL PRIMARY KEY,
    operator   TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    code       TEXT,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_code ON calls (code, started_at);

CREATE TABLE call_receipts (
    call_id    BIGINT NOT NULL REFERENCES calls (id),
    receipt_no TEXT NOT NULL,
    PRIMARY KEY (call_id, receipt_no)
);

CREATE TABLE faq_entries (
    id       TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    answer   TEXT NOT NULL,
    category TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '[]'
);

-- Only the SHA-256 of a token is ever stored.
CREATE TABLE operators (
    id         BIGSERIAL PRIMARY KEY,
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
    seq        BIGINT PRIMARY KEY,
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

CREATE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse();
