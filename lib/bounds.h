/*
 * Every bound tipline enforces, in one place. The program enforces these
 * itself; nginx's limits (nginx/tipline-local.conf.in) are a second fence, not the first.
 * Field lengths are in the field table (lib/fields.c) and in docs/FORMATS.md.
 */
#ifndef TIPLINE_LIMITS_H
#define TIPLINE_LIMITS_H

/* Largest POST body accepted. The description alone may be 10,000
 * characters of up to 4 UTF-8 bytes each, up to 3 bytes per byte once
 * percent-encoded: 120 KB. nginx's client_max_body_size must match. */
#define MAX_BODY		(256 * 1024)
#define MAX_FORM_PAIRS		64	/* name=value pairs in one body */
#define MAX_FIELDS		32	/* entries in the field table */
#define MAX_FIELD_NAME		32	/* bytes of a decoded field name */
#define MAX_FIELD_BYTES		(4 * 10000) /* decoded bytes of one value */
#define MAX_QUERY		1024	/* bytes of a query string we look at */
#define MAX_LANG_CODE		8	/* bytes of the form's hidden "lang" */

/* Pages. A page that shows the form again echoes every value sent,
 * HTML-escaped: at most MAX_ESCAPE bytes out per byte in ("&quot;"),
 * and the values together are at most MAX_BODY bytes (decoding never
 * grows). Everything else on a page (templates, translations, labels,
 * markup) stays under MAX_PAGE_FIXED; tests/unit/t_i18n.c renders the
 * worst case in every language and checks that both hold. */
#define MAX_ESCAPE		6
#define MAX_PAGE_FIXED		(512 * 1024)
#define MAX_PAGE		(MAX_ESCAPE * MAX_BODY + MAX_PAGE_FIXED)

/* Envelopes and records. */
#define MAX_RECIPIENTS		16
#define MAX_RECORD		(512 * 1024)	/* JSON record, before padding */
#define MAX_ENVELOPE		(2 * 1024 * 1024)
#define PAD_MIN_BUCKET		1024
/* The sealed part of an event (lib/event.c) is an envelope of at most
 * MAX_RECORD bytes of plaintext: padded to at most 2 * MAX_RECORD. */
#define MAX_EVENT_SEALED	(6 + 88 * MAX_RECIPIENTS + 24 + \
				 2 * MAX_RECORD + 16)
/* Content keys in one grant event (docs/FORMATS.md section 9): each
 * takes at most 116 bytes of its JSON, so that a full grant stays
 * under MAX_RECORD; a larger grant is split into several events. */
#define GRANT_KEYS_MAX		4000

/* Key files and config files. */
#define MAX_LINE		1024	/* one line of a key or config file */
#define MAX_KEYFILE		(16 * 1024)
#define MAX_CONFIG		(64 * 1024)
#define MAX_PASSPHRASE		1024
/* Characters of a new passphrase (keygen, passwd); shorter ones only
 * with TIPLINE_WEAK_PASSPHRASE_OK=1, for demos and tests. */
#define MIN_PASSPHRASE		12
/* Seconds the CLI's agent keeps a key unlocked while unused (cli/agent.c):
 * the default and the most --keep-unlocked accepts. */
#define DEFAULT_KEEP_UNLOCKED	(15 * 60)
#define MAX_KEEP_UNLOCKED	(12 * 3600)
/* An analyst's name in an identity line (lib/team.c): code points, and
 * bytes of UTF-8. */
#define MAX_NAME		64
#define MAX_NAME_BYTES		256

/* Argon2id cost read from a key file is capped so that a hostile file
 * cannot make the CLI allocate unbounded memory. */
#define MAX_PWHASH_OPSLIMIT	16ULL
#define MAX_PWHASH_MEMLIMIT	(2ULL * 1024 * 1024 * 1024)

/* Translations (lib/catalog.c) and language choice (lib/lang.c). */
#define MAX_CATALOG		(256 * 1024)	/* bytes of one .mo file */
#define MAX_MESSAGES		1024		/* entries in one .mo file */
/* Longest Accept-Language header we look at; a longer one is ignored
 * whole. Browsers send well under 100 bytes. */
#define MAX_ACCEPT_LANGUAGE	512

/* Bytes of a typed receipt we look at (lib/receipt.c): 26 characters
 * with their dashes, and room for spaces a reporter may add. */
#define MAX_RECEIPT_INPUT	64

/* Coming back (issue 13): the text a reporter adds, in characters; how
 * long the page's capability to add it lasts, in seconds; wrong
 * receipts per minute, all workers together, before every lookup waits
 * for the next minute (cgi/serve.c). nginx limits each address too. */
#define FOLLOWUP_MAX_CHARS	10000
#define FOLLOWUP_CAP_SECONDS	1800
#define FOLLOWUP_MAX_FAILURES	100
/* Attachments (multipart/form-data, RFC 7578; lib/multipart.c). The
 * numbers of files and bytes are defaults a config can lower
 * (max_files, max_file_bytes, max_files_bytes), never raise. */
#define MAX_BOUNDARY		70	/* RFC 2046 section 5.1.1 */
#define MAX_PART_HEADER		2048	/* bytes of one part's header block */
#define MAX_FILENAME		255	/* bytes of a file name as sent */
#define MAX_FILES		5
#define MAX_FILE_BYTES		(10 * 1024 * 1024)
#define MAX_FILES_BYTES		(25 * 1024 * 1024)
/* Parts in one body: every field, and every file. */
#define MAX_PARTS		(MAX_FORM_PAIRS + MAX_FILES)
/* Largest multipart/form-data body: the files, and a MiB for the fields
 * (at most MAX_BODY together) and the parts' headers and boundaries
 * (MAX_PARTS of at most MAX_PART_HEADER + 2 * MAX_BOUNDARY). nginx's
 * client_max_body_size and client_body_buffer_size in location = /submit
 * must be this, in MiB ("26m"): tests/integration/test_upload_limits.py. */
#define MAX_UPLOAD		(MAX_FILES_BYTES + 1024 * 1024)

/* Worker pool. */
#define MAX_WORKERS		64

#endif
