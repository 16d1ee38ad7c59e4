-- Migration 4: the relay's signed events (PRAGMA user_version 3 -> 4).

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
