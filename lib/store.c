/*
 * SQLite storage. Every write is one short IMMEDIATE transaction, so the
 * CLI and the FastCGI workers share the file safely under WAL.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "event.h"
#include "status.h"
#include "store.h"
#include "util.h"

extern const char *const migrations[];
extern const size_t nmigrations;

struct store {
	sqlite3		*db;
	sqlite3_stmt	*find_nonce, *ins_report, *ins_token, *ins_receipt;
	int		 busy_ms;
	long long	 busy_start;	/* ms, CLOCK_MONOTONIC */
	long long	 max_pages;	/* store_limit_size; 0: none set */
};

/* The files' access and modification times would give the second of
 * the latest write; THREATS.md promises the day. After each write they
 * are set to the start of the UTC day (POSIX days are 86,400 s). The
 * inode change time cannot be set by a program: see THREATS.md. */
static void
times_to_day(struct store *st)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	const char *db = sqlite3_db_filename(st->db, "main");
	struct timespec ts[2];
	char path[4096];
	time_t now = time(NULL);
	size_t i;

	if (db == NULL || *db == '\0')
		return;
	ts[0].tv_sec = ts[1].tv_sec = now - now % 86400;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if ((size_t)snprintf(path, sizeof(path), "%s%s", db, ext[i]) <
		    sizeof(path))
			utimensat(AT_FDCWD, path, ts, 0);	/* best effort */
}

static int	exec(struct store *, const char *);
static int	run(struct store *, const char *, const char *, const char *,
		    long long);

/* COMMIT, then the files' times back to the day. */
static int
commit(struct store *st)
{
	int rc = exec(st, "COMMIT");

	if (rc == SQLITE_OK)
		times_to_day(st);
	return rc;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Retries every millisecond until busy_ms have passed. SQLite's own
 * handler (busy_timeout) sleeps longer and longer, up to 100 ms, and so
 * misses the short gaps between another writer's transactions: intake
 * starved behind a busy CLI (tests/integration/test_durability.py,
 * lock_churn). */
static int
busy_wait(void *ctx, int tries)
{
	struct store *st = ctx;
	struct timespec ms = { 0, 1000000 };

	if (tries == 0)
		st->busy_start = now_ms();
	if (now_ms() - st->busy_start >= st->busy_ms)
		return 0;
	nanosleep(&ms, NULL);
	return 1;
}

static const char ref_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
ref_make(char out[REF_LEN + 1])
{
	unsigned char r[8];
	int i, o = 3;

	/* One call for all eight characters; 32 divides 256, so taking
	 * the low five bits of a byte is uniform. */
	randombytes_buf(r, sizeof(r));
	memcpy(out, "TL-", 3);
	for (i = 0; i < 8; i++) {
		if (i == 4)
			out[o++] = '-';
		out[o++] = ref_alphabet[r[i] & 31];
	}
	out[o] = '\0';
}

int
ref_valid(const char *s, size_t n)
{
	size_t i;

	if (n != REF_LEN || memcmp(s, "TL-", 3) != 0 || s[7] != '-')
		return 0;
	for (i = 3; i < REF_LEN; i++)
		if (i != 7 && (s[i] == '\0' || strchr(ref_alphabet, s[i]) ==
		    NULL))
			return 0;
	return 1;
}

static int
exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

static int
user_version(struct store *st, int *v)
{
	sqlite3_stmt *s;
	int ok;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

/* Applies every migration the file lacks, each in its own transaction
 * with its user_version bump, so a crash leaves a consistent version. */
static int
migrate(struct store *st, char *err, size_t errlen)
{
	char sql[64];
	int v = -1;

	for (;;) {
		if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK ||
		    user_version(st, &v) != 0)
			break;
		if (v < 0 || (size_t)v > nmigrations) {
			exec(st, "ROLLBACK");
			snprintf(err, errlen, "database schema version %d is "
			    "newer than this program knows (%zu); upgrade "
			    "tipline", v, nmigrations);
			return -1;
		}
		if ((size_t)v == nmigrations)
			return commit(st) == SQLITE_OK ? 0 : -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(st, migrations[v]) != SQLITE_OK ||
		    exec(st, sql) != SQLITE_OK || commit(st) != SQLITE_OK)
			break;
	}
	snprintf(err, errlen, "cannot migrate database: %s",
	    sqlite3_errmsg(st->db));
	exec(st, "ROLLBACK");
	return -1;
}

/* WAL needs a writable directory for its -wal and -shm files; SQLite
 * quietly stays in rollback mode when it cannot switch. */
static int
is_wal(struct store *st)
{
	sqlite3_stmt *s;
	int ok = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		ok = sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
		    "wal") == 0;
	sqlite3_finalize(s);
	return ok;
}

static int
prepare(struct store *st)
{
	/* LEFT JOIN: a nonce whose report was purged is still used. */
	return sqlite3_prepare_v3(st->db, "SELECT r.ref FROM used_tokens t "
	    "LEFT JOIN reports r ON r.id = t.report_id WHERE t.nonce = ?",
	    -1, SQLITE_PREPARE_PERSISTENT, &st->find_nonce, NULL) ||
	    /* The id from the high-water mark (migration 6): never one a
	     * purged report had, so that pull cursors see every report. */
	    sqlite3_prepare_v3(st->db, "INSERT INTO reports (id, ref, day, "
	    "envelope) VALUES ((SELECT last + 1 FROM report_ids), ?, ?, ?)",
	    -1, SQLITE_PREPARE_PERSISTENT,
	    &st->ins_report, NULL) ||
	    sqlite3_prepare_v3(st->db, "INSERT INTO used_tokens (nonce, "
	    "report_id, expires) VALUES (?, ?, ?)", -1,
	    SQLITE_PREPARE_PERSISTENT, &st->ins_token, NULL) ||
	    sqlite3_prepare_v3(st->db, "INSERT INTO receipts (report_id, "
	    "lookup, public_key) VALUES (?, ?, ?)", -1,
	    SQLITE_PREPARE_PERSISTENT, &st->ins_receipt, NULL);
}

struct store *
store_open(const char *path, int busy_ms, int create, char *err,
    size_t errlen)
{
	struct store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(st->db, 1);
	st->busy_ms = busy_ms;
	sqlite3_busy_handler(st->db, busy_wait, st);
	/* journal_mode first: it cannot change inside a transaction. */
	if (exec(st, "PRAGMA journal_mode = WAL") ||
	    exec(st, "PRAGMA synchronous = FULL") ||
	    exec(st, "PRAGMA foreign_keys = ON") ||
	    exec(st, "PRAGMA secure_delete = ON"))
		goto fail;
	if (!is_wal(st)) {
		snprintf(err, errlen, "%s: cannot switch to WAL mode (is the "
		    "directory writable?)", path);
		goto fail_msg;
	}
	if (migrate(st, err, errlen) != 0)
		goto fail_msg;
	if (prepare(st) != SQLITE_OK)
		goto fail;
	return st;
fail:
	snprintf(err, errlen, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) :
	    "out of memory");
fail_msg:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->find_nonce);
	sqlite3_finalize(st->ins_report);
	sqlite3_finalize(st->ins_token);
	sqlite3_finalize(st->ins_receipt);
	sqlite3_close(st->db);
	free(st);
}

struct sqlite3 *
store_sqlite(struct store *st)
{
	return st->db;
}

const char *
store_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

static enum store_res
classify(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	case SQLITE_FULL:
		return STORE_FULL;
	default:
		return STORE_ERR;
	}
}

static int
step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* 1 and the ref in dupref if the nonce made a report already. */
static int
find_nonce(struct store *st, const unsigned char *nonce, char *dupref)
{
	sqlite3_stmt *s = st->find_nonce;
	int rc;

	sqlite3_bind_blob(s, 1, nonce, TOKEN_NONCE, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)
		rc = 2;		/* its report was purged */
	else if (rc == SQLITE_ROW) {
		snprintf(dupref, REF_LEN + 1, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		rc = 1;
	} else
		rc = rc == SQLITE_DONE ? 0 : -rc;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* Nonces of tokens that expired before today can make no report any
 * more: they are forgotten, by the intake and by a purge. */
static int
forget_expired(struct store *st, const char *today)
{
	return run(st, "DELETE FROM used_tokens WHERE expires < ?1", today,
	    NULL, 0);
}

/* Inserts one file's head and chunks for the report just inserted. A
 * chunk that cannot be read whole fails the batch (SQLITE_IOERR). */
static int
insert_file(struct store *st, long long report_id, size_t idx,
    const struct store_file *f, unsigned char *buf)
{
	sqlite3_stmt *a = NULL, *c = NULL;
	long long fid;
	uint32_t i;
	int rc;

	if ((rc = sqlite3_prepare_v2(st->db, "INSERT INTO attachments "
	    "(report_id, idx, head, nchunks) VALUES (?, ?, ?, ?)", -1, &a,
	    NULL)) != SQLITE_OK || (rc = sqlite3_prepare_v2(st->db,
	    "INSERT INTO attachment_chunks (attachment_id, n, data) "
	    "VALUES (?, ?, ?)", -1, &c, NULL)) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(a, 1, report_id);
	sqlite3_bind_int64(a, 2, (long long)idx);
	sqlite3_bind_blob(a, 3, f->head, (int)f->headlen, SQLITE_STATIC);
	sqlite3_bind_int64(a, 4, f->nchunks);
	if ((rc = step_done(a)) != SQLITE_OK)
		goto out;
	fid = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < f->nchunks && rc == SQLITE_OK; i++) {
		if (pread(f->fd, buf, STORE_CHUNK, (off_t)(f->off +
		    (uint64_t)i * STORE_CHUNK)) != STORE_CHUNK) {
			rc = SQLITE_IOERR;
			break;
		}
		sqlite3_bind_int64(c, 1, fid);
		sqlite3_bind_int64(c, 2, i);
		sqlite3_bind_blob(c, 3, buf, STORE_CHUNK, SQLITE_STATIC);
		rc = step_done(c);
	}
out:
	sqlite3_finalize(a);
	sqlite3_finalize(c);
	return rc;
}

static int
insert_files(struct store *st, const struct store_batch_row *r,
    long long report_id)
{
	unsigned char *buf;
	size_t i;
	int rc = SQLITE_OK;

	if (r->nfiles == 0)
		return SQLITE_OK;
	if ((buf = malloc(STORE_CHUNK)) == NULL)
		return SQLITE_NOMEM;
	for (i = 0; i < r->nfiles && rc == SQLITE_OK; i++)
		rc = insert_file(st, report_id, i, &r->files[i], buf);
	free(buf);
	return rc;
}

static int
insert_rows(struct store *st, const struct store_batch_row *r)
{
	sqlite3_int64 id;
	int rc;

	sqlite3_bind_text(st->ins_report, 1, r->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->ins_report, 2, r->day, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st->ins_report, 3, r->env, (int)r->envlen,
	    SQLITE_STATIC);
	if ((rc = step_done(st->ins_report)) != SQLITE_OK)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);
	if ((rc = insert_files(st, r, id)) != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st->ins_token, 1, r->nonce, TOKEN_NONCE,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st->ins_token, 2, id);
	sqlite3_bind_text(st->ins_token, 3, r->expires, -1, SQLITE_STATIC);
	if ((rc = step_done(st->ins_token)) != SQLITE_OK || !r->has_receipt)
		return rc;
	sqlite3_bind_int64(st->ins_receipt, 1, id);
	sqlite3_bind_blob(st->ins_receipt, 2, r->receipt.lookup,
	    (int)sizeof(r->receipt.lookup), SQLITE_STATIC);
	sqlite3_bind_blob(st->ins_receipt, 3, r->receipt.public_key,
	    (int)sizeof(r->receipt.public_key), SQLITE_STATIC);
	return step_done(st->ins_receipt);
}

/* One row of a batch, inside its transaction. A nonce used before,
 * also by an earlier row of the same batch, gives STORE_DUP: one report
 * per token. A reference collision undoes only this row (the
 * savepoint). Any other error fails the whole batch. */
static int
batch_row(struct store *st, struct store_batch_row *r)
{
	int rc;

	if ((rc = find_nonce(st, r->nonce, r->dupref)) != 0) {
		if (rc < 0)
			return -rc;
		r->res = rc == 1 ? STORE_DUP : STORE_USED;
		return SQLITE_OK;
	}
	if ((rc = exec(st, "SAVEPOINT row")) != SQLITE_OK)
		return rc;
	if ((rc = insert_rows(st, r)) == SQLITE_CONSTRAINT_UNIQUE) {
		r->res = STORE_REF_TAKEN;
		if ((rc = exec(st, "ROLLBACK TO row")) != SQLITE_OK)
			return rc;
	} else if (rc != SQLITE_OK)
		return rc;
	else
		r->res = STORE_OK;
	return exec(st, "RELEASE row");
}

static enum store_res
fail_all(struct store_batch_row *rows, size_t n, enum store_res res)
{
	size_t i;

	for (i = 0; i < n; i++)
		rows[i].res = res;
	return res;
}

enum store_res
store_batch_begin(struct store *st)
{
	int rc, moved = 0;

	if ((rc = exec(st, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return classify(rc);
	/* A database file moved or deleted under the running service would
	 * take the report into an unlinked file, lost at exit: refuse. */
	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_HAS_MOVED,
	    &moved) != SQLITE_OK || moved) {
		exec(st, "ROLLBACK");
		return STORE_ERR;
	}
	return STORE_OK;
}

enum store_res
store_batch_finish(struct store *st, struct store_batch_row *rows, size_t n)
{
	const char *today;
	size_t i;
	int rc = SQLITE_OK;

	if (n == 0) {
		exec(st, "ROLLBACK");
		return STORE_OK;
	}
	for (i = 0, today = rows[0].day; i < n; i++) {
		if ((rc = batch_row(st, &rows[i])) != SQLITE_OK)
			goto fail;
		if (strcmp(rows[i].day, today) > 0)
			today = rows[i].day;
	}
	if ((rc = forget_expired(st, today)) == SQLITE_OK &&
	    (rc = commit(st)) == SQLITE_OK)
		return STORE_OK;
fail:
	/* Nothing of the batch is stored, so nothing may be acknowledged,
	 * not even a duplicate whose first row was in this batch. */
	exec(st, "ROLLBACK");
	return fail_all(rows, n, classify(rc));
}

enum store_res
store_insert_batch(struct store *st, struct store_batch_row *rows, size_t n)
{
	enum store_res res;

	if (n == 0)
		return STORE_OK;
	if ((res = store_batch_begin(st)) != STORE_OK)
		return fail_all(rows, n, res);
	return store_batch_finish(st, rows, n);
}

enum store_res
store_insert(struct store *st, const unsigned char nonce[TOKEN_NONCE],
    const char *ref, const char *day, const char *expires,
    const unsigned char *env, size_t envlen, char dupref[REF_LEN + 1])
{
	return store_insert_with(st, nonce, ref, day, expires, env, envlen,
	    NULL, dupref);
}

enum store_res
store_insert_with(struct store *st, const unsigned char nonce[TOKEN_NONCE],
    const char *ref, const char *day, const char *expires,
    const unsigned char *env, size_t envlen, const struct store_receipt *rc,
    char dupref[REF_LEN + 1])
{
	struct store_batch_row r;

	memset(&r, 0, sizeof(r));
	memcpy(r.nonce, nonce, TOKEN_NONCE);
	snprintf(r.ref, sizeof(r.ref), "%s", ref);
	snprintf(r.day, sizeof(r.day), "%s", day);
	snprintf(r.expires, sizeof(r.expires), "%s", expires);
	r.env = env;
	r.envlen = envlen;
	if (rc != NULL) {
		r.has_receipt = 1;
		r.receipt = *rc;
	}
	store_insert_batch(st, &r, 1);
	if (r.res == STORE_DUP)
		memcpy(dupref, r.dupref, REF_LEN + 1);
	return r.res;
}

static int
each_row(sqlite3_stmt *s, int (*fn)(void *, const struct store_row *),
    void *ctx, int *found)
{
	struct store_row row;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.id = sqlite3_column_int64(s, 0);
		snprintf(row.ref, sizeof(row.ref), "%s",
		    (const char *)sqlite3_column_text(s, 1));
		snprintf(row.day, sizeof(row.day), "%s",
		    (const char *)sqlite3_column_text(s, 2));
		snprintf(row.status, sizeof(row.status), "%s",
		    (const char *)sqlite3_column_text(s, 3));
		row.env = sqlite3_column_blob(s, 4);
		row.envlen = (size_t)sqlite3_column_bytes(s, 4);
		(*found)++;
		if (fn(ctx, &row) != 0)
			return 0;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_each(struct store *st, const struct store_query *q,
    int (*fn)(void *, const struct store_row *), void *ctx)
{
	static const struct store_query any;
	sqlite3_stmt *s;
	int rc, found = 0;

	if (q == NULL)
		q = &any;
	if (sqlite3_prepare_v2(st->db, "SELECT id, ref, day, status, envelope "
	    "FROM reports WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL "
	    "OR day >= ?2) AND (?3 IS NULL OR day <= ?3) AND (?4 IS NULL OR "
	    "day < ?4) ORDER BY id DESC", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, q->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, q->since, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, q->until, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, q->before, -1, SQLITE_TRANSIENT);
	rc = each_row(s, fn, ctx, &found);
	sqlite3_finalize(s);
	return rc;
}

int
store_get(struct store *st, const char *ref,
    int (*fn)(void *, const struct store_row *), void *ctx)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT id, ref, day, status, envelope "
	    "FROM reports WHERE ref = ?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, ref, -1, SQLITE_TRANSIENT);
	rc = each_row(s, fn, ctx, &found);
	sqlite3_finalize(s);
	return rc < 0 ? -1 : found > 0;
}

void
store_cache_kib(struct store *st, int kib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	exec(st, sql);
}

/* For a health check: can we take the write lock right now? */
static long long
pragma_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_limit_size(struct store *st, long long bytes)
{
	long long page = pragma_int(st, "PRAGMA page_size");
	char sql[64];

	if (page <= 0)
		return -1;
	/* An insert that would grow the file past it fails SQLITE_FULL:
	 * STORE_FULL, the reporter gets 503. Below the current size,
	 * SQLite keeps the current size: nothing can grow. */
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	    bytes / page > 0 ? bytes / page : 1);
	st->max_pages = pragma_int(st, sql);
	return st->max_pages > 0 ? 0 : -1;
}

int
store_usage(struct store *st)
{
	long long used = pragma_int(st, "PRAGMA page_count") -
	    pragma_int(st, "PRAGMA freelist_count");

	if (st->max_pages <= 0 || used < 0)
		return -1;
	/* Free pages are reused before the file grows. */
	return (int)(used * 100 / st->max_pages);
}

int
store_check_writable(struct store *st)
{
	if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	exec(st, "ROLLBACK");
	return 0;
}

int
store_valid_status(const char *s)
{
	return s != NULL && status_index(s) >= 0;
}

int
store_history(struct store *st, long long report_id,
    int (*fn)(void *, const struct store_hist *), void *ctx)
{
	struct store_hist h;
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT id, day, status, note FROM "
	    "status_history WHERE report_id = ? ORDER BY id", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, report_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		h.id = sqlite3_column_int64(s, 0);
		snprintf(h.day, sizeof(h.day), "%s",
		    (const char *)sqlite3_column_text(s, 1));
		snprintf(h.status, sizeof(h.status), "%s",
		    (const char *)sqlite3_column_text(s, 2));
		h.note = sqlite3_column_blob(s, 3);
		h.notelen = (size_t)sqlite3_column_bytes(s, 3);
		if (fn(ctx, &h) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Runs one statement with up to two text and one blob/int binding. */
static int
run(struct store *st, const char *sql, const char *t1, const char *t2,
    long long i3)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	if (t1 != NULL)
		sqlite3_bind_text(s, 1, t1, -1, SQLITE_TRANSIENT);
	if (t2 != NULL)
		sqlite3_bind_text(s, 2, t2, -1, SQLITE_TRANSIENT);
	if (i3 != 0)
		sqlite3_bind_int64(s, 3, i3);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static long long
report_id(struct store *st, const char *ref)
{
	sqlite3_stmt *s;
	long long id = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT id FROM reports WHERE ref = ?",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, ref, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id;
}

static int
attach_note(struct store *st, long long hid,
    int (*seal)(void *, long long, unsigned char **, size_t *), void *ctx)
{
	unsigned char *env;
	sqlite3_stmt *s;
	size_t len;
	int rc;

	if (seal(ctx, hid, &env, &len) != 0)
		return SQLITE_ERROR;
	rc = sqlite3_prepare_v2(st->db, "UPDATE status_history SET note = ? "
	    "WHERE id = ?", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_blob(s, 1, env, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, hid);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(s);
	}
	free(env);
	return rc;
}

int
store_set_status(struct store *st, const char *ref, const char *status,
    const char *day, int (*seal)(void *, long long, unsigned char **,
    size_t *), void *ctx)
{
	long long id;
	int rc;

	if (!store_valid_status(status) || exec(st, "BEGIN IMMEDIATE") !=
	    SQLITE_OK)
		return -1;
	if ((id = report_id(st, ref)) <= 0) {
		exec(st, "ROLLBACK");
		return id == 0 ? 1 : -1;
	}
	rc = run(st, "UPDATE reports SET status = ?1 WHERE id = ?3", status,
	    NULL, id);
	if (rc == SQLITE_OK)
		rc = run(st, "INSERT INTO status_history (report_id, day, "
		    "status) VALUES (?3, ?1, ?2)", day, status, id);
	if (rc == SQLITE_OK && seal != NULL)
		rc = attach_note(st, sqlite3_last_insert_rowid(st->db), seal,
		    ctx);
	if (rc == SQLITE_OK && commit(st) == SQLITE_OK)
		return 0;
	exec(st, "ROLLBACK");
	return -1;
}

int
store_put_keys(struct store *st, const struct recipients *rc)
{
	sqlite3_stmt *s;
	size_t i;
	int ok = 1;

	/* The table holds the current set: a key taken out of the
	 * recipients file gets no new notes. */
	if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	if (exec(st, "DELETE FROM recipient_keys") != SQLITE_OK) {
		exec(st, "ROLLBACK");
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO recipient_keys "
	    "(key_id, public_key) VALUES (?, ?)", -1, &s, NULL) != SQLITE_OK) {
		exec(st, "ROLLBACK");
		return -1;
	}
	for (i = 0; i < rc->n && ok; i++) {
		sqlite3_bind_blob(s, 1, rc->k[i].id, KEY_ID_BYTES,
		    SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, rc->k[i].pk, PK_BYTES, SQLITE_STATIC);
		ok = sqlite3_step(s) == SQLITE_DONE;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (ok && commit(st) == SQLITE_OK)
		return 0;
	exec(st, "ROLLBACK");
	return -1;
}

int
store_get_keys(struct store *st, struct recipients *rc)
{
	sqlite3_stmt *s;
	int r;

	memset(rc, 0, sizeof(*rc));
	if (sqlite3_prepare_v2(st->db, "SELECT key_id, public_key FROM "
	    "recipient_keys ORDER BY key_id", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW && rc->n < MAX_RECIPIENTS) {
		if (sqlite3_column_bytes(s, 0) != KEY_ID_BYTES ||
		    sqlite3_column_bytes(s, 1) != PK_BYTES)
			continue;
		memcpy(rc->k[rc->n].id, sqlite3_column_blob(s, 0),
		    KEY_ID_BYTES);
		memcpy(rc->k[rc->n].pk, sqlite3_column_blob(s, 1), PK_BYTES);
		rc->n++;
	}
	sqlite3_finalize(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : -1;
}

int
store_delete(struct store *st, const long long *ids, size_t n)
{
	char today[11];
	size_t i;
	int rc = SQLITE_OK;

	if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	for (i = 0; i < n && rc == SQLITE_OK; i++)
		rc = run(st, "DELETE FROM reports WHERE id = ?3", NULL, NULL,
		    ids[i]);
	day_utc(time(NULL), today);
	if (rc == SQLITE_OK)
		rc = forget_expired(st, today);
	if (rc != SQLITE_OK || commit(st) != SQLITE_OK) {
		exec(st, "ROLLBACK");
		return -1;
	}
	/* secure_delete zeroes freed content in the pages it writes; the
	 * old page images also live in the WAL until a checkpoint, and
	 * VACUUM leaves no free pages behind. */
	rc = exec(st, "VACUUM") == SQLITE_OK &&
	    exec(st, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK ? 0 : 1;
	times_to_day(st);
	return rc;
}

int
store_ref_of(struct store *st, long long id, char ref[REF_LEN + 1])
{
	sqlite3_stmt *s;
	int rv = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT ref FROM reports WHERE id = ?",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(ref, REF_LEN + 1, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		rv = 0;
	}
	sqlite3_finalize(s);
	return rv;
}

int
store_integrity(struct store *st, char *msg, size_t len)
{
	sqlite3_stmt *s;
	const char *t;
	int rv = -1;

	snprintf(msg, len, "cannot run the integrity check: %s",
	    sqlite3_errmsg(st->db));
	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(s, 0)) != NULL) {
		rv = strcmp(t, "ok") == 0 ? 0 : -1;
		snprintf(msg, len, "%s", t);
	}
	sqlite3_finalize(s);
	return rv;
}

int
store_chain_last(sqlite3 *db, const unsigned char *author, uint64_t *seq,
    unsigned char *id)
{
	sqlite3_stmt *s;
	int rc;

	*seq = 0;
	if (sqlite3_prepare_v2(db, "SELECT seq, event_id FROM events WHERE "
	    "author = ? ORDER BY seq DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_blob(s, 1, author, KEY_ID_BYTES, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	    sqlite3_column_bytes(s, 1) == EVENT_HASH) {
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
		memcpy(id, sqlite3_column_blob(s, 1), EVENT_HASH);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}
