-- What the lookup index (and its snapshot file) is checked against: every inserted or updated
-- institution row takes the next value of a sequence as its `row_version`, and the version of
-- the data is the highest committed one. Every statement writing institutions first takes a
-- transaction lock, so writers commit in version order and a server that has read version V
-- has seen every row up to V. A snapshot of another database is told apart by `generation`
-- (random, set once). (A sequence rather than a counter row: one transaction updating one
-- row 242,000 times, as a seed does, slows down with every update.)
ALTER TABLE institutions ADD COLUMN row_version BIGINT NOT NULL DEFAULT 0;
CREATE SEQUENCE institutions_row_version;
UPDATE institutions SET row_version = nextval('institutions_row_version');
CREATE TABLE institutions_version (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation TEXT NOT NULL
);
INSERT INTO institutions_version (id, generation) VALUES (1, md5(random()::text || clock_timestamp()::text));
CREATE INDEX institutions_by_row_version ON institutions (row_version);
CREATE FUNCTION institutions_write_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.institutions_row_version'));
    RETURN NULL;
END
$$;
CREATE FUNCTION institutions_stamp_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.row_version := nextval('institutions_row_version');
    RETURN NEW;
END
$$;
CREATE TRIGGER institutions_write_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON institutions
    FOR EACH STATEMENT EXECUTE FUNCTION institutions_write_lock();
CREATE TRIGGER institutions_stamp_row BEFORE INSERT OR UPDATE ON institutions
    FOR EACH ROW EXECUTE FUNCTION institutions_stamp_row();
