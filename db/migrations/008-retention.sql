-- Migration 8: what each analyst has pulled, for the server's retention
-- (docs/FORMATS.md sections 6 and 10).

-- Per analyst (the key id that tipline-relay --analyst names, from the
-- forced command of that analyst's SSH key), the report cursor their
-- last PULL presented: the largest report id their case file has
-- committed from this server. A report with an id at or below every
-- team member's cursor has reached every workstation, and retention may
-- empty its envelope (tipline-relay(8)).
CREATE TABLE deliveries (
	analyst	      BLOB PRIMARY KEY CHECK (length(analyst) = 8),
	report_cursor INTEGER NOT NULL CHECK (report_cursor >= 0)
) WITHOUT ROWID;
