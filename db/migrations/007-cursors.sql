-- Migration 7: sync protocol v2's cursors (PRAGMA user_version 6 -> 7).

-- PULL and END carry one cursor per kind of row a relay hands out
-- (docs/FORMATS.md section 10): a reporter's follow-up messages and
-- attachment chunks join the reports and events.
ALTER TABLE remotes ADD COLUMN message_cursor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE remotes ADD COLUMN file_cursor INTEGER NOT NULL DEFAULT 0;
