/*
 * The workstation's case file: a tipline database (the reading commands
 * work on it as on the server's) that holds the reports pulled from the
 * relays and the events of the case record. Every event is checked
 * against the LOCAL team file and its author's chain before its effect
 * (a status, a purge) is applied; the server's database is never
 * trusted for who is in the team.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "team.h"

const char *
case_path(const struct opts *o)
{
	return o->casefile ? o->casefile : getenv("TIPLINE_CASE");
}

struct store *
case_open(const struct opts *o)
{
	const char *path = case_path(o);
	struct store *st;
	char err[512];

	if (path == NULL) {
		hint("give the case file with --case FILE or TIPLINE_CASE");
		die("no case file");
	}
	if ((st = store_open(path, 5000, 1, err, sizeof(err))) == NULL)
		die("%s", err);
	return st;
}

void
team_load(const struct opts *o, struct team *t)
{
	const char *path = o->team ? o->team : getenv("TIPLINE_TEAM");
	enum kf_err e;
	char *text;
	size_t n, line = 0;

	if (path == NULL) {
		hint("give the team file (the analysts' TLID1 lines) with "
		    "--team FILE or TIPLINE_TEAM");
		die("no team file");
	}
	if ((e = keyfile_slurp(path, MAX_KEYFILE, &text, &n)) != KF_OK)
		die("team file %s: %s", path, keyfile_strerror(e));
	e = team_parse(text, n, t, &line);
	free(text);
	if (e != KF_OK)
		die("team file %s:%zu: %s", path, line, keyfile_strerror(e));
}

static int
exec1(sqlite3 *db, const char *sql, const char *t1, const char *t2)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
	if (t2 != NULL)
		sqlite3_bind_text(s, 2, t2, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The event's effect on the case file's copy of its report. */
static int
apply(sqlite3 *db, const struct event *ev)
{
	if (ev->type == EV_PURGE)
		return exec1(db, "DELETE FROM reports WHERE ref = ?1", ev->ref,
		    NULL);
	if (ev->status != 0)
		return exec1(db, "UPDATE reports SET status = ?2 WHERE ref = "
		    "?1", ev->ref, event_status_name(ev->status));
	return SQLITE_OK;
}

/* 1 if the case file holds an event with this id. */
int
case_has_event(sqlite3 *db, const unsigned char id[EVENT_HASH])
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM events WHERE event_id = ?",
	    -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_blob(s, 1, id, EVENT_HASH, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW;
}

const char *
case_add_event(sqlite3 *db, const struct team *t, const unsigned char *p,
    size_t n, int *added)
{
	unsigned char id[EVENT_HASH], last[EVENT_HASH];
	const struct identity *m;
	struct event ev;
	sqlite3_stmt *s;
	uint64_t seq;
	int rc;

	*added = 0;
	if (event_parse(p, n, &ev) != EVENT_OK)
		return "not a valid event";
	if ((m = team_find(t, ev.author)) == NULL)
		return "signed by a key that is not in the local team file";
	if (event_verify(&ev, m->sign) != EVENT_OK)
		return "its signature does not verify";
	event_id(p, n, id);
	if (store_chain_last(db, ev.author, &seq, last) != 0)
		return "database error";
	if (ev.seq <= seq)
		return case_has_event(db, id) ? NULL : "another event of its "
		    "author has this number (replayed or forked chain)";
	if (!event_follows(&ev, seq, seq ? last : NULL))
		return "its author's previous event is missing";
	if (sqlite3_prepare_v2(db, "INSERT INTO events (event_id, author, "
	    "seq, body) VALUES (?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK)
		return "database error";
	sqlite3_bind_blob(s, 1, id, EVENT_HASH, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, ev.author, KEY_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)ev.seq);
	sqlite3_bind_blob(s, 4, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || apply(db, &ev) != SQLITE_OK)
		return "database error";
	*added = 1;
	return NULL;
}

int
case_write_event(struct store *st, const struct team *t,
    const struct seckey *key, int type, const char *ref, int status,
    const char *plain)
{
	struct recipients rc;

	team_recipients(t, &rc);
	return case_write_event_to(st, t, key, type, ref, status, plain, &rc);
}

int
case_write_event_to(struct store *st, const struct team *t,
    const struct seckey *key, int type, const char *ref, int status,
    const char *plain, const struct recipients *to)
{
	sqlite3 *db = store_sqlite(st);
	unsigned char last[EVENT_HASH], *ev = NULL;
	struct event_new in;
	const char *why;
	char day[11];
	uint64_t seq;
	size_t n;
	int added = 0;

	if (key->sign_sk == NULL) {
		hint("tipline passwd --name NAME makes this key an identity");
		die("this key cannot sign (a v1 key)");
	}
	if (team_find(t, key->pub.id) == NULL)
		die("this key is not in the local team file");
	today(day);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		die("cannot write the case file: %s", store_errmsg(st));
	if (store_chain_last(db, key->pub.id, &seq, last) != 0)
		die("cannot read the case file: %s", store_errmsg(st));
	memset(&in, 0, sizeof(in));
	in.type = type;
	in.ref = ref;
	in.day = day;
	in.status = status;
	in.plain = plain;
	in.to = to;
	in.last_seq = seq;
	in.last_id = seq ? last : NULL;
	if (event_make(&in, key, &ev, &n) != EVENT_OK)
		die("cannot make the event");
	why = case_add_event(db, t, ev, n, &added);
	free(ev);
	if (why != NULL || !added ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		die("cannot record the event: %s", why ? why : "database error");
	}
	return 0;
}
