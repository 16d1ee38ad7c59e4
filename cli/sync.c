/*
 * tipline sync: pulls the reports and events a relay holds after this
 * case file's cursors, then pushes the events the relay lacks. The
 * relay runs as a child (local:CONFIG) or behind the system's OpenSSH
 * client (ssh://user@host[:port]), whose forced command starts it. A
 * pull is applied in transactions that carry their cursor, so a broken
 * connection leaves the case file as of the last commit and the next
 * sync goes on from there; a push is idempotent on the relay.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "frame.h"
#include "team.h"

#define BATCH	500	/* rows per pull transaction */
#define CHUNK_BATCH	16	/* file chunks per pull transaction */

struct conn {
	pid_t		 pid;
	int		 to, from;	/* the relay's stdin, stdout */
	unsigned char	*buf;
	size_t		 cap;
};

struct counts {
	long	reports, events, messages, sent, refused, chunks;
};

/* The file whose chunks come now: its relay id, report and index
 * (a FILE frame comes before a file's first chunk of a pull). */
struct cur_file {
	uint64_t	id;
	char		ref[EVENT_REF + 1];
	unsigned	idx;
};

/* The relay next to this program, or TIPLINE_RELAY. */
static const char *
relay_path(char *buf, size_t len)
{
	const char *env = getenv("TIPLINE_RELAY");
	ssize_t n;
	char *slash;

	if (env != NULL)
		return env;
	n = readlink("/proc/self/exe", buf, len - 32);
	if (n <= 0)
		return "tipline-relay";
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return "tipline-relay";
	snprintf(slash + 1, 32, "tipline-relay");
	return buf;
}

/* The key id of the analyst's key file, read without unlocking it, so
 * that a local relay records what this analyst pulled (--analyst, as
 * the forced command says it over SSH); "" without a key file or for a
 * key that is not in the team file (a reader who is no member). */
static void
local_analyst(const struct opts *o, const struct team *t,
    char hex[2 * KEY_ID_BYTES + 1])
{
	const char *path = o->key ? o->key : getenv("TIPLINE_KEY");
	struct secfile sf;
	size_t n, line;
	char *text;

	hex[0] = '\0';
	if (path == NULL || keyfile_slurp(path, MAX_KEYFILE, &text, &n) !=
	    KF_OK)
		return;
	if (keyfile_parse_secret(text, n, &sf, &line) == KF_OK &&
	    team_find(t, sf.id) != NULL)
		sodium_bin2hex(hex, 2 * KEY_ID_BYTES + 1, sf.id, KEY_ID_BYTES);
	sodium_memzero(&sf, sizeof(sf));
	free(text);
}

/* The command that reaches the remote's relay. */
static void
remote_argv(const char *remote, const struct opts *o, const struct team *t,
    char **argv, char *relay, size_t rlen, char *host, char *port)
{
	static char who[2 * KEY_ID_BYTES + 1];
	const char *cfg = o->ssh_config ? o->ssh_config :
	    getenv("TIPLINE_SSH_CONFIG");
	const char *h;
	char *colon;
	int n = 0;

	if (strncmp(remote, "local:", 6) == 0 && remote[6] != '\0') {
		argv[n++] = (char *)relay_path(relay, rlen);
		argv[n++] = (char *)"--config";
		argv[n++] = (char *)remote + 6;
		local_analyst(o, t, who);
		if (who[0] != '\0') {
			argv[n++] = (char *)"--analyst";
			argv[n++] = who;
		}
		argv[n] = NULL;
		return;
	}
	if (strncmp(remote, "ssh://", 6) != 0 || remote[6] == '\0' ||
	    strlen(remote) > 250 || strpbrk(remote + 6, " /?#") != NULL ||
	    remote[6] == '-')
		usage_error("--remote takes local:CONFIG or "
		    "ssh://user@host[:port]");
	h = remote + 6;
	snprintf(host, 256, "%s", h);
	/* A port after the last colon, unless it is an IPv6 address. */
	if ((colon = strrchr(host, ':')) != NULL && strchr(host, ']') ==
	    NULL) {
		*colon = '\0';
		snprintf(port, 16, "%s", colon + 1);
	}
	argv[n++] = (char *)"ssh";
	argv[n++] = (char *)"-T";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"BatchMode=yes";
	if (cfg != NULL) {
		argv[n++] = (char *)"-F";
		argv[n++] = (char *)cfg;
	}
	if (*port) {
		argv[n++] = (char *)"-p";
		argv[n++] = port;
	}
	argv[n++] = (char *)"--";
	argv[n++] = host;
	/* sshd runs the forced command whatever is asked; this names it
	 * for a server set up without one. */
	argv[n++] = (char *)"tipline-relay";
	argv[n] = NULL;
}

static void
conn_open(struct conn *c, const char *remote, const struct opts *o,
    const struct team *t)
{
	char *argv[16], relay[4096], host[256], port[16] = "";
	int in[2], out[2];

	remote_argv(remote, o, t, argv, relay, sizeof(relay), host, port);
	if (pipe(in) != 0 || pipe(out) != 0)
		die("pipe: %s", strerror(errno));
	if ((c->pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (c->pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "tipline: error: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->to = in[1];
	c->from = out[0];
}

static int
conn_close(struct conn *c)
{
	int status = 0;

	close(c->to);
	close(c->from);
	free(c->buf);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Reads one frame; an ERROR from the relay or a bad frame ends it. */
static void
conn_read(struct conn *c, struct frame *f)
{
	enum frame_err e = frame_read(c->from, &c->buf, &c->cap, f);

	if (e != FRAME_OK)
		die("the relay: %s", frame_strerror(e));
	if (f->type == FR_ERROR)
		die("the relay refused: %.*s", (int)f->datalen,
		    (const char *)f->data);
}

static void
db_do(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
}

static void
cursors_get(sqlite3 *db, const char *remote, uint64_t cur[FRAME_CURSORS])
{
	sqlite3_stmt *s;

	memset(cur, 0, FRAME_CURSORS * sizeof(cur[0]));
	if (sqlite3_prepare_v2(db, "SELECT report_cursor, event_cursor, "
	    "message_cursor, file_cursor FROM remotes WHERE name = ?", -1, &s,
	    NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, remote, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		for (int i = 0; i < FRAME_CURSORS; i++)
			cur[i] = (uint64_t)sqlite3_column_int64(s, i);
	sqlite3_finalize(s);
}

static void
cursors_put(sqlite3 *db, const char *remote,
    const uint64_t cur[FRAME_CURSORS])
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "INSERT INTO remotes (name, report_cursor, "
	    "event_cursor, message_cursor, file_cursor) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE "
	    "SET report_cursor = ?2, event_cursor = ?3, message_cursor = ?4, "
	    "file_cursor = ?5", -1, &s, NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, remote, -1, SQLITE_STATIC);
	for (int i = 0; i < FRAME_CURSORS; i++)
		sqlite3_bind_int64(s, 2 + i, (sqlite3_int64)cur[i]);
	if (sqlite3_step(s) != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
}

/* s: the pull's one prepared INSERT (a parse per report cost more than
 * the insert). */
/* The receipt's public key, to seal replies to (section 14). A case
 * file has no lookup id: its receipts row keeps the public key in both
 * columns. */
static void
add_receipt_key(sqlite3 *db, const struct frame *f)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO receipts (report_id, "
	    "lookup, public_key) SELECT id, ?1, ?1 FROM reports WHERE ref = ?2",
	    -1, &s, NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_blob(s, 1, f->receipt_pk, FRAME_RECEIPT_PK, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->ref, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
}

static int
add_report(sqlite3 *db, sqlite3_stmt *s, const struct frame *f)
{
	int rc;

	sqlite3_bind_text(s, 1, f->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->day, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, event_status_name(f->status), -1,
	    SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, f->data, (int)f->datalen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	rc = sqlite3_changes(db);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc > 0 && !sodium_is_zero(f->receipt_pk, FRAME_RECEIPT_PK))
		add_receipt_key(db, f);
	return rc;
}

/* A history row from before events, under its report (pulled just
 * before it). It keeps the server's row id: its note's associated data
 * names it (docs/FORMATS.md section 7). */
static void
add_history(sqlite3 *db, const struct frame *f)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO status_history (id, "
	    "report_id, day, status, note) SELECT ?1, id, ?2, ?3, ?4 FROM "
	    "reports WHERE ref = ?5", -1, &s, NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, (sqlite3_int64)f->a);
	sqlite3_bind_text(s, 2, f->day, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, event_status_name(f->status), -1,
	    SQLITE_STATIC);
	if (f->datalen > 0)
		sqlite3_bind_blob(s, 4, f->data, (int)f->datalen,
		    SQLITE_STATIC);
	sqlite3_bind_text(s, 5, f->ref, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
}

/* A reporter's message, under its report (pulled before it). */
static int
add_message(sqlite3 *db, const struct frame *f)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO messages (report_id, day, "
	    "envelope) SELECT id, ?, ? FROM reports WHERE ref = ?", -1, &s,
	    NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, f->day, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, f->data, (int)f->datalen, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, f->ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	return sqlite3_changes(db);
}

/* A file's head, kept once (a resumed pull sends it again). A file of
 * a report this case file lacks is skipped, with its chunks. */
static void
add_file(sqlite3 *db, const struct frame *f, struct cur_file *cf)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO attachments "
	    "(report_id, idx, head, nchunks) SELECT id, ?, ?, ? FROM reports "
	    "WHERE ref = ?", -1, &s, NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_int(s, 1, (int)f->idx);
	sqlite3_bind_blob(s, 2, f->data, (int)f->datalen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, f->count);
	sqlite3_bind_text(s, 4, f->ref, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	cf->id = f->a;
	memcpy(cf->ref, f->ref, sizeof(cf->ref));
	cf->idx = f->idx;
}

/* A chunk of the current file; 1 if new. */
static int
add_chunk(sqlite3 *db, const struct frame *f, const struct cur_file *cf)
{
	sqlite3_stmt *s;
	int rc;

	if (f->b != cf->id)
		die("the relay sent a chunk of a file it did not announce");
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO attachment_chunks "
	    "(attachment_id, n, data) SELECT a.id, ?, ? FROM attachments a "
	    "JOIN reports r ON r.id = a.report_id WHERE r.ref = ? AND "
	    "a.idx = ?", -1, &s, NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, f->count);
	sqlite3_bind_blob(s, 2, f->data, (int)f->datalen, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, cf->ref, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, (int)cf->idx);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	return sqlite3_changes(db);
}

static void
mark_held(sqlite3 *db, const char *remote, const unsigned char *ev,
    size_t n)
{
	unsigned char id[EVENT_HASH];
	sqlite3_stmt *s;

	event_id(ev, n, id);
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO remote_events "
	    "(remote, event_id) VALUES (?, ?)", -1, &s, NULL) != SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, remote, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, id, EVENT_HASH, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
}

static void
pull_event(sqlite3 *db, const struct team *t, const char *remote,
    const struct frame *f, struct counts *n)
{
	const char *why;
	int added;

	if ((why = case_add_event(db, t, f->data, f->datalen, &added)) !=
	    NULL) {
		warnx_("%s: an event was not taken: %s", remote, why);
		n->refused++;
		return;
	}
	n->events += added;
	mark_held(db, remote, f->data, f->datalen);
}

/* Everything after the cursors, BATCH rows per transaction, each with
 * the cursor it reached. */
static void
pull(struct conn *c, sqlite3 *db, const struct team *t,
    const char *remote, struct counts *n)
{
	struct frame f;
	struct cur_file cf;
	uint64_t cur[FRAME_CURSORS];
	sqlite3_stmt *ins;
	int rows = 0, chunks = 0;

	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO reports (ref, day, "
	    "status, envelope) VALUES (?, ?, ?, ?)", -1, &ins, NULL) !=
	    SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	memset(&cf, 0, sizeof(cf));
	cursors_get(db, remote, cur);
	if (frame_cursors(c->to, FR_PULL, cur) != FRAME_OK)
		die("the relay closed the connection");
	db_do(db, "BEGIN IMMEDIATE");
	for (;;) {
		conn_read(c, &f);
		/* A batch ends before a report, event, message or file, never
		 * between a report and its history rows; a file's chunks
		 * commit every CHUNK_BATCH (a megabyte), so that a pull cut in
		 * a large file resumes near where it was. */
		if ((f.type != FR_HISTORY && f.type != FR_CHUNK &&
		    rows >= BATCH) || (f.type == FR_CHUNK &&
		    chunks >= CHUNK_BATCH)) {
			cursors_put(db, remote, cur);
			db_do(db, "COMMIT");
			db_do(db, "BEGIN IMMEDIATE");
			rows = chunks = 0;
		}
		if (f.type == FR_HISTORY)
			add_history(db, &f);
		else if (f.type == FR_REPORT) {
			n->reports += add_report(db, ins, &f);
			cur[CUR_REPORT] = f.a;
		} else if (f.type == FR_EVENT) {
			pull_event(db, t, remote, &f, n);
			cur[CUR_EVENT] = f.a;
		} else if (f.type == FR_MESSAGE) {
			n->messages += add_message(db, &f);
			cur[CUR_MESSAGE] = f.a;
		} else if (f.type == FR_FILE)
			add_file(db, &f, &cf);
		else if (f.type == FR_CHUNK) {
			n->chunks += add_chunk(db, &f, &cf);
			cur[CUR_FILE] = f.a;
		} else if (f.type == FR_END)
			break;
		else
			die("the relay sent an unexpected frame");
		rows++;
		chunks += f.type == FR_CHUNK;
	}
	/* END's cursors: a relay may skip rows it will never send. */
	for (int i = 0; i < FRAME_CURSORS; i++)
		if (f.cur[i] > cur[i])
			cur[i] = f.cur[i];
	cursors_put(db, remote, cur);
	db_do(db, "COMMIT");
	sqlite3_finalize(ins);
}

/* Every event the remote is not known to hold, in the order written. */
static void
push(struct conn *c, sqlite3 *db, const char *remote, struct counts *n)
{
	sqlite3_stmt *s;
	struct frame f;

	if (sqlite3_prepare_v2(db, "SELECT body FROM events e WHERE NOT "
	    "EXISTS (SELECT 1 FROM remote_events r WHERE r.remote = ? AND "
	    "r.event_id = e.event_id) ORDER BY e.id", -1, &s, NULL) !=
	    SQLITE_OK)
		die("case file: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, remote, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *ev = sqlite3_column_blob(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 0);

		if (frame_write(c->to, FR_PUSH, NULL, 0, ev, len) != FRAME_OK)
			die("the relay closed the connection");
		conn_read(c, &f);
		if (f.type != FR_ACK)
			die("the relay sent an unexpected frame");
		if (f.status == ACK_REFUSED) {
			warnx_("%s refused an event: %.*s", remote,
			    (int)f.datalen, (const char *)f.data);
			n->refused++;
			continue;
		}
		n->sent += f.status == ACK_STORED;
		mark_held(db, remote, ev, len);
	}
	sqlite3_finalize(s);
}

static void
report(const struct opts *o, const char *remote, const struct counts *n)
{
	json_t *j;

	if (o->json) {
		j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "remote",
		    remote, "reports", (json_int_t)n->reports, "events",
		    (json_int_t)n->events, "messages",
		    (json_int_t)n->messages, "sent", (json_int_t)n->sent,
		    "refused", (json_int_t)n->refused, "chunks",
		    (json_int_t)n->chunks);
		json_print(stdout, j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
		return;
	}
	printf("%s: %ld new report%s, %ld new event%s, %ld event%s sent",
	    remote, n->reports, n->reports == 1 ? "" : "s", n->events,
	    n->events == 1 ? "" : "s", n->sent, n->sent == 1 ? "" : "s");
	if (n->messages)
		printf(", %ld new message%s from reporters", n->messages,
		    n->messages == 1 ? "" : "s");
	if (n->refused)
		printf(", %ld refused", n->refused);
	putchar('\n');
}

int
cmd_sync(struct opts *o)
{
	struct counts n;
	struct team t;
	struct conn c;
	struct frame f;
	struct store *st;
	int rv;

	if (o->nargs != 0 || o->remote == NULL)
		usage_error("sync takes --remote local:CONFIG or "
		    "ssh://user@host[:port]");
	team_load(o, &t);
	st = case_open(o);
	/* A relay that dies mid-stream must not kill us with SIGPIPE: the
	 * write fails, and the error names it. */
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	memset(&n, 0, sizeof(n));
	conn_open(&c, o->remote, o, &t);
	if (frame_hello(c.to) != FRAME_OK)
		die("cannot reach the relay at %s", o->remote);
	conn_read(&c, &f);
	if (f.type != FR_HELLO)
		die("the relay did not answer HELLO");
	pull(&c, store_sqlite(st), &t, o->remote, &n);
	push(&c, store_sqlite(st), o->remote, &n);
	rv = conn_close(&c);
	store_close(st);
	report(o, o->remote, &n);
	if (rv != 0)
		die("the relay exited with status %d", rv);
	return n.refused ? EXIT_FAIL : 0;
}
