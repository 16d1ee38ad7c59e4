-- Migration 1: the initial schema (PRAGMA user_version 0 -> 1).
-- Applied by lib/store.c; never edit a released migration, add one.
-- Plaintext columns are only what triage needs without the key; all
-- that a reporter wrote is inside the envelope (docs/FORMATS.md).

CREATE TABLE reports (
	id	 INTEGER PRIMARY KEY,
	ref	 TEXT NOT NULL UNIQUE
		 CHECK (ref GLOB 'TL-[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]-[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]'),
	-- the day received, UTC; never a finer time
	day	 TEXT NOT NULL
		 CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	status	 TEXT NOT NULL DEFAULT 'new'
		 CHECK (status IN ('new', 'in-review', 'forwarded', 'closed', 'spam')),
	envelope BLOB NOT NULL
);

CREATE INDEX reports_day ON reports (day);

-- The nonce of each form token that made a report, stored in the same
-- transaction as the report: a replayed POST finds it and makes no
-- second report. Deleted with its report.
CREATE TABLE used_tokens (
	nonce	  BLOB PRIMARY KEY CHECK (length(nonce) = 16),
	report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX used_tokens_report ON used_tokens (report_id);
