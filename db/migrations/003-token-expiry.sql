-- Migration 3: a used token's nonce is kept until the token expires,
-- even when its report is purged first, so that the token cannot make
-- a second report (PRAGMA user_version 2 -> 3).

CREATE TEMP TABLE used_tokens_v2 AS
	SELECT t.nonce AS nonce, t.report_id AS report_id,
	       date(r.day, '+8 days') AS expires
	FROM used_tokens t JOIN reports r ON r.id = t.report_id;

DROP TABLE used_tokens;

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

-- Nonces from before this migration: a token is valid at most 7 days
-- (token_max_age) and was used on its report's day.
INSERT INTO used_tokens (nonce, report_id, expires)
	SELECT nonce, report_id, expires FROM temp.used_tokens_v2;

DROP TABLE temp.used_tokens_v2;

CREATE INDEX used_tokens_report ON used_tokens (report_id);
CREATE INDEX used_tokens_expires ON used_tokens (expires);
