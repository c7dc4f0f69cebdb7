-- What the lookup index (and its snapshot file) is checked against: a counter bumped by every
-- insert, update or delete of an institution, and on each row the counter's value at its last
-- change. A server catches up by reading the rows changed after the version it has; a
-- snapshot of another database is told apart by `generation` (random, set once).
ALTER TABLE institutions ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
UPDATE institutions SET row_version = rowid;
CREATE TABLE institutions_version (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation TEXT NOT NULL,
    version    INTEGER NOT NULL
);
INSERT INTO institutions_version (id, generation, version)
    SELECT 1, lower(hex(randomblob(16))), COALESCE(MAX(row_version), 0) FROM institutions;
CREATE INDEX institutions_by_row_version ON institutions (row_version);
CREATE TRIGGER institutions_stamp_insert AFTER INSERT ON institutions BEGIN
    UPDATE institutions_version SET version = version + 1 WHERE id = 1;
    UPDATE institutions SET row_version = (SELECT version FROM institutions_version WHERE id = 1)
        WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER institutions_stamp_update AFTER UPDATE ON institutions
    WHEN NEW.row_version = OLD.row_version BEGIN
    UPDATE institutions_version SET version = version + 1 WHERE id = 1;
    UPDATE institutions SET row_version = (SELECT version FROM institutions_version WHERE id = 1)
        WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER institutions_stamp_delete AFTER DELETE ON institutions BEGIN
    UPDATE institutions_version SET version = version + 1 WHERE id = 1;
END;
