-- The floor (live): each signed-in operator's state, the log of every change (the day in
-- numbers), and raised hands (挙手). Instants are text, as everywhere (audit_chain::instant_text).

-- One row per signed-in operator; signing out deletes it. State: available, on_call,
-- after_call, away (checked by the application, AgentState::parse).
CREATE TABLE agent_states (
    operator     TEXT PRIMARY KEY,
    state        TEXT NOT NULL,
    reason       TEXT,
    since        TEXT NOT NULL,
    call_id      INTEGER,
    signed_in_at TEXT NOT NULL
);

-- Every change, in order: from `at` on the operator was in `state` (NULL: signed out).
CREATE TABLE agent_state_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    operator TEXT NOT NULL,
    state    TEXT,
    reason   TEXT,
    at       TEXT NOT NULL
);
CREATE INDEX agent_state_log_at ON agent_state_log (at);
CREATE INDEX agent_state_log_operator ON agent_state_log (operator, at);

-- 挙手: open until a supervisor acknowledges it or the operator lowers it.
CREATE TABLE hand_raises (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    operator        TEXT NOT NULL,
    note            TEXT NOT NULL,
    raised_at       TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    lowered_at      TEXT
);
CREATE INDEX hand_raises_operator ON hand_raises (operator, id);

-- The floor names the campaign a call works (the member leased with that call).
CREATE INDEX campaign_members_lease_call ON campaign_members (lease_call_id);
