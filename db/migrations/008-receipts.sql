-- Migration 8: receipts (issue 13; PRAGMA user_version 7 -> 8).

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
