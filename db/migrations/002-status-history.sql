-- Migration 2: status history and the recipients' public keys
-- (PRAGMA user_version 1 -> 2).

-- Every status change: the day (UTC), the new status, and an optional
-- note sealed to the recipients like a report (envelope v1, associated
-- data "<ref>/note/<id>"; docs/FORMATS.md). Deleted with its report.
CREATE TABLE status_history (
	id	  INTEGER PRIMARY KEY,
	report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	day	  TEXT NOT NULL
		  CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	status	  TEXT NOT NULL
		  CHECK (status IN ('new', 'in-review', 'forwarded', 'closed', 'spam')),
	note	  BLOB
);

CREATE INDEX status_history_report ON status_history (report_id);

-- The public keys the intake seals to, recorded by tipline-fcgi at
-- start-up, so that the CLI can seal notes to the same people. Public
-- keys only; nothing here can decrypt.
CREATE TABLE recipient_keys (
	key_id	   BLOB PRIMARY KEY CHECK (length(key_id) = 8),
	public_key BLOB NOT NULL CHECK (length(public_key) = 32)
) WITHOUT ROWID;

CREATE INDEX reports_status ON reports (status);
