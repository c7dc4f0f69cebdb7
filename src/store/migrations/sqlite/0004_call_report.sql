-- The call report at national scale (a year of calls), and the change a call-back waits for.

-- Reasons are counted by their call's start without joining calls: each reason row carries
-- its call's start instant (it never changes), indexed with the reason so the count is read
-- from the index alone.
ALTER TABLE call_reasons ADD COLUMN started_at TEXT;
UPDATE call_reasons SET started_at = (SELECT c.started_at FROM calls c WHERE c.id = call_reasons.call_id);
CREATE INDEX call_reasons_started ON call_reasons (started_at, reason);

-- Calls by hour and by operator with their handle times, read from the index alone; it also
-- serves every range on started_at the old single-column index served.
CREATE INDEX calls_report ON calls (started_at, operator, handle_seconds);
DROP INDEX calls_started_at;
-- It served only the report, and once ANALYZE has run SQLite preferred skip-scanning it (with a
-- table lookup per call) to the covering index above: ten times slower for a year.
DROP INDEX calls_operator;

-- A reader application change whose caller must first be verified by calling back the
-- registered number: what to change once they are reached (all NULL for a plain call-back).
ALTER TABLE callbacks ADD COLUMN change_model_id TEXT;
ALTER TABLE callbacks ADD COLUMN change_units INTEGER;
ALTER TABLE callbacks ADD COLUMN change_caller_name TEXT;
ALTER TABLE callbacks ADD COLUMN change_caller_role TEXT;
