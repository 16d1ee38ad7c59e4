/*
 * The report queue in SQLite: WAL, synchronous=FULL, foreign keys,
 * secure_delete, a busy timeout, and forward-only migrations tracked in
 * PRAGMA user_version. A report is acknowledged only after store_insert
 * returned STORE_OK, that is after its COMMIT returned.
 */
#ifndef TIPLINE_STORE_H
#define TIPLINE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "token.h"

#define REF_LEN 12	/* "TL-XXXX-XXXX" */

struct store;

enum store_res {
	STORE_OK = 0,
	STORE_DUP,	/* the token made a report already; ref is its ref */
	STORE_USED,	/* the token made a report that was purged since */
	STORE_REF_TAKEN,/* reference collision: seal again with another */
	STORE_BUSY,	/* locked past the busy timeout */
	STORE_FULL,	/* disk or database full */
	STORE_ERR,	/* any other failure: I/O, corruption */
};

struct store_row {
	long long		 id;
	char			 ref[REF_LEN + 1];
	char			 day[11];
	char			 status[16];
	const unsigned char	*env;
	size_t			 envlen;
};

/* What the database keeps of a report's receipt (lib/receipt.h,
 * docs/FORMATS.md "Receipt"): the lookup id and the public key derived
 * from it; never the receipt. */
struct store_receipt {
	unsigned char	lookup[32];
	unsigned char	public_key[32];
};

/* Opens (creating the file if create is set) and migrates. On failure
 * returns NULL and writes a message to err. */
struct store	*store_open(const char *path, int busy_ms, int create,
		    char *err, size_t errlen);
void		 store_close(struct store *);
/* Stores a report and its token's nonce, which is kept until the day
 * after expires (the token's last valid day, "YYYY-MM-DD"), even if
 * the report is deleted first; nonces expired before day are deleted. */
enum store_res	 store_insert(struct store *,
		    const unsigned char nonce[TOKEN_NONCE], const char *ref,
		    const char *day, const char *expires,
		    const unsigned char *env, size_t envlen,
		    char dupref[REF_LEN + 1]);
/* store_insert, and the report's receipt row (rc NULL: none) in the
 * same transaction. */
enum store_res	 store_insert_with(struct store *,
		    const unsigned char nonce[TOKEN_NONCE], const char *ref,
		    const char *day, const char *expires,
		    const unsigned char *env, size_t envlen,
		    const struct store_receipt *rc, char dupref[REF_LEN + 1]);
/* One attachment of a report (docs/FORMATS.md section 3b): its head
 * envelope, and its nchunks sealed chunks of STORE_CHUNK bytes each,
 * read with pread from fd at offset off (a spool file of ciphertext
 * that the worker wrote as the upload arrived). */
#define STORE_CHUNK	(64 * 1024 + 17)	/* ATTACH_CHUNK_CT */
struct store_file {
	const unsigned char	*head;
	size_t			 headlen;
	uint32_t		 nchunks;
	int			 fd;
	uint64_t		 off;
};

/* A row for store_insert_batch; res and dupref are its answer. Its
 * files are stored in the same transaction, all or nothing. */
struct store_batch_row {
	unsigned char		 nonce[TOKEN_NONCE];
	char			 ref[REF_LEN + 1];
	char			 day[11];
	char			 expires[11];
	const unsigned char	*env;
	size_t			 envlen;
	int			 has_receipt;
	struct store_receipt	 receipt;
	const struct store_file	*files;
	size_t			 nfiles;
	enum store_res		 res;
	char			 dupref[REF_LEN + 1];	/* STORE_DUP */
};
/* Stores n rows in one transaction (group commit: one fsync for all).
 * Each row's res is what store_insert would answer for it alone; when
 * the transaction fails (busy, full, I/O) every row's res is that
 * failure and nothing of the batch is stored. Returns STORE_OK or that
 * failure. */
enum store_res	 store_insert_batch(struct store *,
		    struct store_batch_row *rows, size_t n);
/* store_insert_batch in two steps, so that a writer can wait for the
 * write lock first and then take every row that arrived meanwhile:
 * begin opens the transaction (STORE_OK, or the failure, with nothing
 * open); finish stores the rows and commits, or rolls back (n may be
 * 0: it then only closes the transaction). */
enum store_res	 store_batch_begin(struct store *);
enum store_res	 store_batch_finish(struct store *,
		    struct store_batch_row *rows, size_t n);
/* What store_each selects by plaintext columns; NULL means any. Days
 * are "YYYY-MM-DD", both ends included. */
struct store_query {
	const char	*status;
	const char	*since;
	const char	*until;
	const char	*before;	/* day strictly before this */
};

/* Calls fn for each report matching q (NULL: all), newest first; stops
 * when fn returns non-zero. Returns 0, or -1 on a database error. */
int		 store_each(struct store *, const struct store_query *q,
		    int (*fn)(void *, const struct store_row *), void *);
/* 1 found, 0 not found, -1 error. */
int		 store_get(struct store *, const char *ref,
		    int (*fn)(void *, const struct store_row *), void *);
int		 store_check_writable(struct store *);
/* Caps the database file at bytes (PRAGMA max_page_count, for this
 * connection): past it, store_insert answers STORE_FULL. 0 or -1. */
int		 store_limit_size(struct store *, long long bytes);
/* The pages in use as a percentage of that cap, or -1 if none is set
 * or the database cannot be read. */
int		 store_usage(struct store *);
/* Caps SQLite's page cache (default 2 MiB): the intake only appends. */
void		 store_cache_kib(struct store *, int kib);

struct store_hist {
	long long		 id;
	char			 day[11];
	char			 status[16];
	const unsigned char	*note;	/* sealed; NULL when none */
	size_t			 notelen;
};

/* The status changes of a report, oldest first. 0, or -1 on error. */
int		 store_history(struct store *, long long report_id,
		    int (*fn)(void *, const struct store_hist *), void *);
/* Sets a report's status and records the change, in one transaction.
 * seal, if not NULL, is called inside it with the new history row's id
 * and returns the sealed note (malloc'd). Returns 0, 1 when there is no
 * such report, -1 on error. */
int		 store_set_status(struct store *, const char *ref,
		    const char *status, const char *day,
		    int (*seal)(void *, long long hid, unsigned char **env,
		    size_t *len), void *ctx);
int		 store_valid_status(const char *);
/* The recipients' public keys, as the intake last recorded them;
 * store_put_keys replaces the whole set. */
int		 store_put_keys(struct store *, const struct recipients *);
int		 store_get_keys(struct store *, struct recipients *);
/* Deletes reports by id (with their history; their tokens' nonces stay
 * until they expire) and expired nonces in one transaction, then
 * rewrites the file (VACUUM) and truncates the WAL so that the deleted
 * bytes are gone from both. 0; -1 when nothing was
 * deleted; 1 when the rows are deleted but the file not compacted. */
int		 store_delete(struct store *, const long long *ids, size_t n);
/* The reference of the report with this id: 0, or -1. */
int		 store_ref_of(struct store *, long long id,
		    char ref[REF_LEN + 1]);
/* PRAGMA integrity_check: 0 when "ok"; else -1 and the first message. */
int		 store_integrity(struct store *, char *msg, size_t len);
const char	*store_errmsg(struct store *);
/* The connection, for the relay's and the case file's own statements
 * (relay/, cli/sync.c): same pragmas, same migrations. */
struct sqlite3;
struct sqlite3	*store_sqlite(struct store *);
/* An author's last stored event (the relay's and a case file's events
 * table): its seq (0 for none) and its id, EVENT_HASH (32) bytes.
 * Returns 0, or -1 on a database error. */
int		 store_chain_last(struct sqlite3 *, const unsigned char *author,
		    uint64_t *seq, unsigned char *id);

/* References: "TL-" and two groups of four from Crockford's base32
 * alphabet (no I, L, O, U): 40 random bits, easy to read aloud. */
void		 ref_make(char out[REF_LEN + 1]);
int		 ref_valid(const char *s, size_t n);

#endif
