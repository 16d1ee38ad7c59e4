/*
 * tipline-relay: the server end of `tipline sync`, run by sshd as a
 * forced command (or by `tipline sync --remote local:CONFIG` as a
 * child). It never listens on a network: it speaks the framed protocol
 * of docs/FORMATS.md section 10 on stdin and stdout, hands out sealed
 * reports and signed events after a cursor, and stores pushed events
 * only when their signature verifies against a key of the server's team
 * file and their author's chain holds, in one transaction with their
 * effect (a purge deletes the report, a status is recorded in clear).
 * It holds no secret key and logs nothing with content.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "config.h"
#include "event.h"
#include "expire.h"
#include "frame.h"
#include "keyfile.h"
#include "store.h"
#include "team.h"

#ifndef DEFAULT_CONFIG
#define DEFAULT_CONFIG "/etc/tipline/tipline.conf"
#endif

struct relay {
	struct store	*st;
	sqlite3		*db;
	struct team	 team;
	unsigned char	*buf;		/* the frame being read */
	size_t		 cap;
	/* --analyst: whose SSH key this session came with, so that what
	 * they pulled is recorded for the retention. */
	int		 has_analyst;
	unsigned char	 analyst[KEY_ID_BYTES];
	int		 retention_days;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("tipline-relay: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
load_team(const char *path, struct team *t)
{
	enum kf_err e;
	char *text;
	size_t n, line = 0;

	if ((e = keyfile_slurp(path, MAX_KEYFILE, &text, &n)) != KF_OK)
		fatal("team file %s: %s", path, keyfile_strerror(e));
	e = team_parse(text, n, t, &line);
	free(text);
	if (e != KF_OK)
		fatal("team file %s:%zu: %s", path, line, keyfile_strerror(e));
}

static void
load_config(const char *path, struct config *c)
{
	char *text, err[256];
	size_t n, line;

	config_defaults(c);
	if (keyfile_slurp(path, MAX_CONFIG, &text, &n) != KF_OK)
		fatal("cannot read %s: %s", path, strerror(errno));
	line = config_parse(text, n, c, err, sizeof(err));
	free(text);
	if (line != 0)
		fatal("%s:%zu: %s", path, line, err);
}

/* The status_history rows of one report (from before events: the
 * migration of a single database, docs/FORMATS.md section 10), each as
 * a HISTORY frame right after its REPORT frame. */
static int
send_history(sqlite3_stmt *h, sqlite3_int64 report_id, const char *ref)
{
	int rc;

	sqlite3_reset(h);
	sqlite3_bind_int64(h, 1, report_id);
	while ((rc = sqlite3_step(h)) == SQLITE_ROW)
		if (frame_history(STDOUT_FILENO,
		    (uint64_t)sqlite3_column_int64(h, 0), ref,
		    (const char *)sqlite3_column_text(h, 1),
		    event_status_code((const char *)sqlite3_column_text(h, 2)),
		    sqlite3_column_blob(h, 3),
		    (size_t)sqlite3_column_bytes(h, 3)) != FRAME_OK)
			return -1;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The chunks after the file cursor, in id order, each file's FILE
 * frame before its first chunk of this pull: a pull cut in the middle
 * of a file resumes at the next chunk (docs/FORMATS.md section 10). */
static int
pull_files(struct relay *r, const uint64_t cur[FRAME_CURSORS],
    uint64_t out[FRAME_CURSORS])
{
	sqlite3_stmt *s;
	uint64_t file, last = 0;
	int rc = -1;

	if (sqlite3_prepare_v2(r->db, "SELECT c.id, c.attachment_id, c.n, "
	    "c.data, rp.ref, a.idx, a.nchunks, a.head FROM attachment_chunks c "
	    "JOIN attachments a ON a.id = c.attachment_id JOIN reports rp ON "
	    "rp.id = a.report_id WHERE c.id > ? ORDER BY c.id", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)cur[CUR_FILE]);
	while (sqlite3_step(s) == SQLITE_ROW) {
		file = (uint64_t)sqlite3_column_int64(s, 1);
		if (file != last && frame_file(STDOUT_FILENO, file,
		    (const char *)sqlite3_column_text(s, 4),
		    (unsigned)sqlite3_column_int(s, 5),
		    (uint32_t)sqlite3_column_int64(s, 6),
		    sqlite3_column_blob(s, 7),
		    (size_t)sqlite3_column_bytes(s, 7)) != FRAME_OK)
			goto out;
		last = file;
		out[CUR_FILE] = (uint64_t)sqlite3_column_int64(s, 0);
		if (frame_chunk(STDOUT_FILENO, out[CUR_FILE], file,
		    (uint32_t)sqlite3_column_int64(s, 2),
		    sqlite3_column_blob(s, 3),
		    (size_t)sqlite3_column_bytes(s, 3)) != FRAME_OK)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Everything after the cursors, in one read transaction so that the
 * cursors in END match what was sent. */
static int
pull(struct relay *r, const uint64_t cur[FRAME_CURSORS])
{
	sqlite3_stmt *s = NULL, *h = NULL;
	uint64_t out[FRAME_CURSORS];
	int ok = 0;

	/* The kinds this relay does not hand out yet keep their cursor. */
	memcpy(out, cur, sizeof(out));
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(r->db, "SELECT id, day, status, note FROM "
	    "status_history WHERE report_id = ? ORDER BY id", -1, &h, NULL) !=
	    SQLITE_OK)
		goto out;
	/* An emptied envelope (retention, expire.c) is not handed out. */
	if (sqlite3_prepare_v2(r->db, "SELECT r.id, ref, day, status, "
	    "envelope, c.public_key FROM reports r LEFT JOIN receipts c ON "
	    "c.report_id = r.id WHERE r.id > ? AND length(envelope) > 0 "
	    "ORDER BY r.id",
	    -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)cur[CUR_REPORT]);
	while (sqlite3_step(s) == SQLITE_ROW) {
		out[CUR_REPORT] = (uint64_t)sqlite3_column_int64(s, 0);
		if (frame_report(STDOUT_FILENO, out[CUR_REPORT],
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    event_status_code((const char *)sqlite3_column_text(s, 3)),
		    sqlite3_column_bytes(s, 5) == FRAME_RECEIPT_PK ?
		    sqlite3_column_blob(s, 5) : NULL,
		    sqlite3_column_blob(s, 4),
		    (size_t)sqlite3_column_bytes(s, 4)) != FRAME_OK ||
		    send_history(h, sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1)) != 0)
			goto out;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(r->db, "SELECT id, body FROM events WHERE "
	    "id > ? ORDER BY id", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)cur[CUR_EVENT]);
	while (sqlite3_step(s) == SQLITE_ROW) {
		out[CUR_EVENT] = (uint64_t)sqlite3_column_int64(s, 0);
		if (frame_event(STDOUT_FILENO, out[CUR_EVENT], sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1)) != FRAME_OK)
			goto out;
	}
	sqlite3_finalize(s);
	/* A reporter's messages (issue 13), after their reports. */
	if (sqlite3_prepare_v2(r->db, "SELECT m.id, p.ref, m.day, m.envelope "
	    "FROM messages m JOIN reports p ON p.id = m.report_id WHERE "
	    "m.id > ? ORDER BY m.id", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)cur[CUR_MESSAGE]);
	while (sqlite3_step(s) == SQLITE_ROW) {
		out[CUR_MESSAGE] = (uint64_t)sqlite3_column_int64(s, 0);
		if (frame_message(STDOUT_FILENO, out[CUR_MESSAGE],
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    sqlite3_column_blob(s, 3),
		    (size_t)sqlite3_column_bytes(s, 3)) != FRAME_OK)
			goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (pull_files(r, cur, out) != 0)
		goto out;
	ok = frame_cursors(STDOUT_FILENO, FR_END, out) == FRAME_OK;
out:
	sqlite3_finalize(h);
	sqlite3_finalize(s);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	return ok ? 0 : -1;
}

/* 1 if the relay has this event already, 0 if not, -1 on error. */
static int
have_event(struct relay *r, const unsigned char id[EVENT_HASH])
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM events WHERE event_id = "
	    "?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_blob(s, 1, id, EVENT_HASH, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The event's effect on the report it names, if the relay holds it. */
static int
apply(struct relay *r, const struct event *ev)
{
	sqlite3_stmt *s;
	const char *sql;
	int rc;

	if (ev->type == EV_PURGE)
		sql = "DELETE FROM reports WHERE ref = ?1";
	else if (ev->status != 0)
		sql = "UPDATE reports SET status = ?2 WHERE ref = ?1";
	else
		return SQLITE_OK;
	if ((rc = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_text(s, 1, ev->ref, -1, SQLITE_STATIC);
	if (ev->status != 0 && ev->type != EV_PURGE)
		sqlite3_bind_text(s, 2, event_status_name(ev->status), -1,
		    SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
insert_event(struct relay *r, const struct event *ev,
    const unsigned char id[EVENT_HASH])
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(r->db, "INSERT INTO events (event_id, "
	    "author, seq, body) VALUES (?, ?, ?, ?)", -1, &s, NULL)) !=
	    SQLITE_OK)
		return rc;
	sqlite3_bind_blob(s, 1, id, EVENT_HASH, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, ev->author, KEY_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)ev->seq);
	sqlite3_bind_blob(s, 4, ev->raw, (int)ev->len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? apply(r, ev) : rc;
}

/* Stores one verified event inside BEGIN IMMEDIATE; the ACK text. */
static const char *
store_event(struct relay *r, const struct event *ev, int *code)
{
	unsigned char id[EVENT_HASH], last[EVENT_HASH];
	uint64_t seq;
	int had;

	*code = ACK_REFUSED;
	event_id(ev->raw, ev->len, id);
	if ((had = have_event(r, id)) < 0)
		return "database error";
	if (had) {
		*code = ACK_HAD;
		return "already stored";
	}
	if (store_chain_last(r->db, ev->author, &seq, last) != 0)
		return "database error";
	if (ev->seq <= seq)
		return "replayed or conflicting: the author has this number "
		    "already";
	if (!event_follows(ev, seq, seq ? last : NULL))
		return "out of order: the author's previous event is missing";
	if (insert_event(r, ev, id) != SQLITE_OK)
		return "database error";
	*code = ACK_STORED;
	return "stored";
}

static void
push(struct relay *r, const unsigned char *p, size_t n)
{
	const struct identity *m;
	struct event ev;
	const char *msg;
	enum event_err e;
	int code = ACK_REFUSED;

	if ((e = event_parse(p, n, &ev)) != EVENT_OK)
		msg = event_strerror(e);
	else if ((m = team_find(&r->team, ev.author)) == NULL)
		msg = "signed by a key that is not in the relay's team file";
	else if (event_verify(&ev, m->sign) != EVENT_OK)
		msg = "the signature does not verify";
	else if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		msg = "database busy";
	else {
		msg = store_event(r, &ev, &code);
		if (code == ACK_STORED && sqlite3_exec(r->db, "COMMIT", NULL,
		    NULL, NULL) != SQLITE_OK) {
			code = ACK_REFUSED;
			msg = "database error";
		}
		if (code != ACK_STORED)
			sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		/* secure_delete zeroed the report's pages; the old page
		 * images also sit in the WAL until a checkpoint. */
		if (code == ACK_STORED && ev.type == EV_PURGE)
			sqlite3_exec(r->db, "PRAGMA wal_checkpoint(TRUNCATE)",
			    NULL, NULL, NULL);
	}
	if (frame_ack(STDOUT_FILENO, code, msg) != FRAME_OK)
		exit(1);
}

/* The retention, after a pull and for --expire (which says how many;
 * a count, never a ref). */
static int
expire(struct relay *r, int say)
{
	long n;

	if (r->retention_days == 0)
		return 0;
	if (expire_run(r->db, &r->team, r->retention_days, &n) != 0)
		return -1;
	if (say)
		fprintf(stderr, "tipline-relay: retention: %ld report%s "
		    "emptied\n", n, n == 1 ? "" : "s");
	return 0;
}

/* Answers a bad frame with an ERROR frame and a line on stderr, both
 * without the frame's content; the caller then exits. */
static int
refuse(enum frame_err e, const char *what)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "%s: %s", what, frame_strerror(e));
	if (e != FRAME_E_IO)
		frame_error(STDOUT_FILENO, msg);
	fprintf(stderr, "tipline-relay: %s\n", msg);
	return e == FRAME_E_IO ? 0 : 1;
}

static int
serve(struct relay *r)
{
	struct frame f;
	enum frame_err e;

	if ((e = frame_read(STDIN_FILENO, &r->buf, &r->cap, &f)) != FRAME_OK ||
	    f.type != FR_HELLO)
		return refuse(e == FRAME_OK ? FRAME_E_TYPE : e,
		    e == FRAME_E_VERSION ? "this relay speaks version 2" :
		    "expected HELLO");
	if (frame_hello(STDOUT_FILENO) != FRAME_OK)
		return 1;
	for (;;) {
		e = frame_read(STDIN_FILENO, &r->buf, &r->cap, &f);
		if (e == FRAME_E_IO)
			return 0;	/* the client is done */
		if (e != FRAME_OK)
			return refuse(e, "bad frame");
		if (f.type == FR_PULL) {
			/* The cursor presented is what the client has
			 * committed: every report up to it has arrived. */
			if (r->has_analyst && expire_record(r->db, r->analyst,
			    f.cur[CUR_REPORT], f.cur[CUR_FILE]) != 0)
				return refuse(FRAME_E_IO, "database error");
			if (pull(r, f.cur) != 0)
				return refuse(FRAME_E_IO, "pull failed");
			/* The retention waits for a later pull or the
			 * timer when the database is busy: the sync goes
			 * on. */
			if (expire(r, 0) != 0)
				fprintf(stderr, "tipline-relay: retention "
				    "skipped: database busy or failing\n");
		} else if (f.type == FR_PUSH)
			push(r, f.data, f.datalen);
		else
			return refuse(FRAME_E_TYPE, "not a client frame");
	}
}

/* --analyst KEYID: a member of the team file. A key whose line was
 * removed from the team file gets no session, even if its SSH key was
 * left in authorized_keys. */
static void
set_analyst(struct relay *r, const char *hex)
{
	size_t n;

	if (strlen(hex) != 2 * KEY_ID_BYTES || sodium_hex2bin(r->analyst,
	    KEY_ID_BYTES, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != KEY_ID_BYTES)
		fatal("--analyst takes a key id (16 hex digits)");
	if (team_find(&r->team, r->analyst) == NULL)
		fatal("--analyst %s is not in the team file", hex);
	r->has_analyst = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: tipline-relay [--config FILE] [--analyst KEYID] "
	    "[--expire]\n"
	    "       tipline-relay --db FILE --team FILE [--analyst KEYID]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct rlimit rl = { 0, 0 };
	const char *conf = NULL, *dbp = NULL, *teamp = NULL, *who = NULL;
	struct config c;
	struct relay r;
	char err[512];
	int i, rv, only_expire = 0;

	setrlimit(RLIMIT_CORE, &rl);
	memset(&r, 0, sizeof(r));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--expire") == 0) {
			only_expire = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--analyst") == 0)
			who = argv[++i];
		else if (strcmp(argv[i], "--config") == 0)
			conf = argv[++i];
		else if (strcmp(argv[i], "--db") == 0)
			dbp = argv[++i];
		else if (strcmp(argv[i], "--team") == 0)
			teamp = argv[++i];
		else
			usage();
	}
	if ((dbp == NULL) != (teamp == NULL) || (conf && dbp) ||
	    (only_expire && (dbp || who)))
		usage();
	if (sodium_init() < 0)
		fatal("libsodium failed to start");
	if (dbp == NULL) {
		load_config(conf ? conf : DEFAULT_CONFIG, &c);
		dbp = c.database;
		teamp = c.recipients;	/* the team file: whom intake seals to */
		r.retention_days = c.retention_days;
	}
	load_team(teamp, &r.team);
	if (who != NULL)
		set_analyst(&r, who);
	if ((r.st = store_open(dbp, 5000, 0, err, sizeof(err))) == NULL)
		fatal("%s", err);
	r.db = store_sqlite(r.st);
	rv = only_expire ? expire(&r, 1) != 0 : serve(&r);
	free(r.buf);
	store_close(r.st);
	return rv;
}
