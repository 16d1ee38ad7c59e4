-- tipline database: the complete current schema, PRAGMA user_version 3.
-- For reading. The program builds a database by applying
-- db/migrations/*.sql in order; tests/unit/t_store.c checks that the
-- result is exactly this schema. Plaintext columns are only what triage
-- needs without the key; all that a reporter wrote is inside the
-- envelope (docs/FORMATS.md).

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
-- second report. Kept when the report is purged (report_id becomes
-- NULL) until the day after the token's last valid day, then deleted.
CREATE TABLE used_tokens (
	nonce	  BLOB PRIMARY KEY CHECK (length(nonce) = 16),
	report_id INTEGER REFERENCES reports (id) ON DELETE SET NULL,
	-- the last day (UTC) on which the token can still be valid
	expires	  TEXT NOT NULL
		  CHECK (expires GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
) WITHOUT ROWID;

CREATE INDEX used_tokens_report ON used_tokens (report_id);
CREATE INDEX used_tokens_expires ON used_tokens (expires);

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
