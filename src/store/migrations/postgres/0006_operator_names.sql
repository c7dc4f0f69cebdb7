-- Operators are unique by name among tokens in force: the name keys the audit trail and
-- idempotency, so two live tokens under one name would let one person replay another's
-- receipts. A revoked token keeps its row (who held it, until when) and frees the name.
-- Where a name was issued twice before this migration, its newest token stays in force and
-- the older ones are revoked now.
ALTER TABLE operators ADD COLUMN revoked_at TEXT;
ALTER TABLE operators ADD COLUMN revoked_by TEXT;
UPDATE operators
   SET revoked_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       revoked_by = 'migration 6 (duplicate name)'
 WHERE id NOT IN (SELECT MAX(id) FROM operators GROUP BY name);
CREATE UNIQUE INDEX operators_active_name ON operators (name) WHERE revoked_at IS NULL;
