-- tipline database: the complete current schema, PRAGMA user_version 10.
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

-- Events (docs/FORMATS.md section 9) as analysts pushed them through
-- tipline-relay, which checked each signature against its team file
-- and each author's chain before storing it, in the same transaction as
-- the event's effect. id is the relay's order: the cursor a workstation
-- pulls after. Events stay when their report is purged: the purge is
-- one of them, and later links of the author's chain point through it.
CREATE TABLE events (
	id	 INTEGER PRIMARY KEY,
	event_id BLOB NOT NULL UNIQUE CHECK (length(event_id) = 32),
	author	 BLOB NOT NULL CHECK (length(author) = 8),
	seq	 INTEGER NOT NULL CHECK (seq >= 1),
	body	 BLOB NOT NULL,
	UNIQUE (author, seq)
);

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
	event_cursor  INTEGER NOT NULL DEFAULT 0,
	message_cursor INTEGER NOT NULL DEFAULT 0,
	file_cursor INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE remote_events (
	remote	 TEXT NOT NULL,
	event_id BLOB NOT NULL CHECK (length(event_id) = 32),
	PRIMARY KEY (remote, event_id)
) WITHOUT ROWID;

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

CREATE TRIGGER report_ids_last AFTER INSERT ON reports
BEGIN
	UPDATE report_ids SET last = NEW.id WHERE NEW.id > last;
END;

-- Per analyst (the key id that tipline-relay --analyst names, from the
-- forced command of that analyst's SSH key), the report cursor their
-- last PULL presented: the largest report id their case file has
-- committed from this server. A report with an id at or below every
-- team member's cursor has reached every workstation, and retention may
-- empty its envelope (tipline-relay(8)).
CREATE TABLE deliveries (
	analyst	      BLOB PRIMARY KEY CHECK (length(analyst) = 8),
	report_cursor INTEGER NOT NULL CHECK (report_cursor >= 0),
	file_cursor   INTEGER NOT NULL DEFAULT 0
	    CHECK (file_cursor >= 0)
) WITHOUT ROWID;
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
-- Migration 10: a report's files (docs/FORMATS.md sections 3b and 6).
CREATE TABLE attachments (
	id	  INTEGER PRIMARY KEY,
	report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	idx	  INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 4),
	head	  BLOB NOT NULL CHECK (length(head) <= 2097152),
	nchunks	  INTEGER NOT NULL CHECK (nchunks BETWEEN 1 AND 320),
	UNIQUE (report_id, idx)
);

CREATE TABLE attachment_chunks (
	id	      INTEGER PRIMARY KEY AUTOINCREMENT,
	attachment_id INTEGER NOT NULL
	    REFERENCES attachments (id) ON DELETE CASCADE,
	n	      INTEGER NOT NULL CHECK (n >= 0),
	data	      BLOB NOT NULL CHECK (length(data) = 65553),
	UNIQUE (attachment_id, n)
);
