-- Migration 6: report ids never go back (PRAGMA user_version 5 -> 6).

-- A workstation pulls the reports after the largest id it has (the
-- report cursor, docs/FORMATS.md section 10). SQLite gives a new row
-- max(id) + 1, so after the newest report was purged the next one would
-- get its id again and every workstation would skip it. The intake
-- takes ids from this high-water mark instead; the trigger keeps it at
-- the largest id ever inserted.
CREATE TABLE report_ids (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	last INTEGER NOT NULL
);

INSERT INTO report_ids VALUES (1, (SELECT coalesce(max(id), 0) FROM reports));

CREATE TRIGGER report_ids_last AFTER INSERT ON reports
BEGIN
	UPDATE report_ids SET last = NEW.id WHERE NEW.id > last;
END;
