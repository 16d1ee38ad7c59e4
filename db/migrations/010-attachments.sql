-- Migration 10: attachments (issue 14; PRAGMA user_version 9 -> 10; docs/FORMATS.md sections 3b, 6).

-- A report's files: each file's head, an envelope (section 3) sealed
-- under the reference "REF/idx", and the number of its chunks. Deleting
-- the report (a purge, retention) deletes its files and their chunks.
CREATE TABLE attachments (
	id	  INTEGER PRIMARY KEY,
	report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	idx	  INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 4),
	head	  BLOB NOT NULL CHECK (length(head) <= 2097152),
	nchunks	  INTEGER NOT NULL CHECK (nchunks BETWEEN 1 AND 320),
	UNIQUE (report_id, idx)
);

-- The sealed chunks of every file, 65553 bytes each (section 3b). The
-- id is the sync cursor cur[CUR_FILE] (section 10): AUTOINCREMENT, so
-- that an id is never given again after the newest chunks were purged
-- (a workstation would skip the new ones).
CREATE TABLE attachment_chunks (
	id	      INTEGER PRIMARY KEY AUTOINCREMENT,
	attachment_id INTEGER NOT NULL
	    REFERENCES attachments (id) ON DELETE CASCADE,
	n	      INTEGER NOT NULL CHECK (n >= 0),
	data	      BLOB NOT NULL CHECK (length(data) = 65553),
	UNIQUE (attachment_id, n)
);

-- The file cursor each analyst's last PULL presented, beside the report
-- cursor: the retention deletes a report's files only when every
-- member of the team has all of its chunks (a pull cut in a large file
-- commits the report before its last chunks).
ALTER TABLE deliveries ADD COLUMN file_cursor INTEGER NOT NULL DEFAULT 0
    CHECK (file_cursor >= 0);
