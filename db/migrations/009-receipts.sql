-- Migration 9: receipts (issue 13; PRAGMA user_version 8 -> 9).

-- What the database keeps of a report's receipt (docs/FORMATS.md,
-- "Receipt"): the lookup id and the X25519 public key, both derived
-- from the receipt, which is never stored. The follow-up page finds a
-- report by its lookup id; replies are sealed to the public key.
-- Deleted with its report.
CREATE TABLE receipts (
	report_id  INTEGER PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
	lookup	   BLOB NOT NULL UNIQUE CHECK (length(lookup) = 32),
	public_key BLOB NOT NULL CHECK (length(public_key) = 32)
);

-- A reporter's follow-up messages (issue 13): each sealed to the team
-- like a report (docs/FORMATS.md section 14, "Follow-up messages"),
-- with its day only. AUTOINCREMENT: an id is never given twice, not
-- even after the newest message was purged, since id is the message
-- cursor of a pull (section 10). Deleted with its report.
CREATE TABLE messages (
	id	  INTEGER PRIMARY KEY AUTOINCREMENT,
	report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	day	  TEXT NOT NULL
		  CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	envelope  BLOB NOT NULL
);

CREATE INDEX messages_report ON messages (report_id);
