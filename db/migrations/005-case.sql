-- Migration 5: a workstation's sync state (PRAGMA user_version 4 -> 5).

-- A workstation's case file is a tipline database like the server's
-- (the reading commands work on either); these two tables are used
-- only there and stay empty on a server. For each remote (a relay that
-- `tipline sync --remote` named), the largest report id and event row
-- id pulled from it, so that the next pull starts after them; and the
-- events that remote is known to hold (pulled from it, or acknowledged
-- by it), so that a push sends only the others.
CREATE TABLE remotes (
	name	      TEXT PRIMARY KEY,
	report_cursor INTEGER NOT NULL DEFAULT 0,
	event_cursor  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE remote_events (
	remote	 TEXT NOT NULL,
	event_id BLOB NOT NULL CHECK (length(event_id) = 32),
	PRIMARY KEY (remote, event_id)
) WITHOUT ROWID;
