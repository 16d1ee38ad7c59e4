/*
 * Deciding about reports: status (one change, with an optional note
 * sealed to the recipients) and review (the new reports one by one, a
 * single key per decision, the passphrase asked once).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "flag.h"
#include "status.h"
#include "team.h"

struct note_ctx {
	const char		*ref, *note, *to;
	struct recipients	 rc;
};

/* Seals {"note": ..., "to": ...} for history row hid; docs/FORMATS.md. */
static int
seal_note(void *ctx, long long hid, unsigned char **env, size_t *len)
{
	struct note_ctx *nc = ctx;
	json_t *o = json_object();
	char ad[64], *s;
	int rv = -1;

	if (nc->note != NULL)
		json_object_set_new(o, "note", json_string(nc->note));
	if (nc->to != NULL)
		json_object_set_new(o, "to", json_string(nc->to));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return -1;
	snprintf(ad, sizeof(ad), "%s/note/%lld", nc->ref, hid);
	rv = envelope_seal(&nc->rc, ad, (const unsigned char *)s, strlen(s),
	    env, len);
	record_free_string(s);
	return rv;
}

int
set_status(const struct opts *o, struct store *st, const char *ref,
    const char *status, const char *note, const char *to)
{
	struct note_ctx nc;
	struct team t;
	char day[11];
	int rc;

	memset(&nc, 0, sizeof(nc));
	nc.ref = ref;
	nc.note = note;
	nc.to = to;
	/* A team file, when given, says whom to seal to: a key planted in
	 * the database's recipient_keys then gets nothing. */
	if ((note != NULL || to != NULL) && (o->team != NULL ||
	    getenv("TIPLINE_TEAM") != NULL)) {
		team_load(o, &t);
		team_recipients(&t, &nc.rc);
	} else if (note != NULL || to != NULL) {
		if (store_get_keys(st, &nc.rc) != 0 || nc.rc.n == 0) {
			hint("the intake records the recipients' public keys "
			    "when tipline-fcgi starts; start it once");
			die("no recipient keys in the database to seal the "
			    "note to");
		}
	}
	today(day);
	rc = store_set_status(st, ref, status, day, note || to ? seal_note :
	    NULL, &nc);
	if (rc < 0)
		die("cannot change the status of %s: %s", ref,
		    store_errmsg(st));
	return rc;
}

/* "--note -" and "--to -" read the text from standard input, so that
 * it stays out of the command line that sudo and ps show. One trailing
 * newline (what echo adds) is dropped; a NUL byte is refused, as it
 * would silently cut the text short. */
static const char *
read_stdin_arg(const char *opt, const char *arg, size_t max)
{
	/* max characters of up to 4 bytes, a newline, one byte more to
	 * see that there is more, and the NUL. */
	static char buf[MAX_NOTE * 4 + 3];
	size_t cap = max * 4 + 1, n;

	if (arg == NULL || strcmp(arg, "-") != 0)
		return arg;
	if (cap + 2 > sizeof(buf))
		die("%s: internal limit", opt);
	n = fread(buf, 1, cap + 1, stdin);
	if (ferror(stdin))
		die("cannot read %s from standard input: %s", opt,
		    strerror(errno));
	if (n > cap)
		usage_error("%s - read more than %zu characters", opt, max);
	if (memchr(buf, '\0', n) != NULL)
		usage_error("%s - read a NUL byte", opt);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return buf;
}

int
cmd_status(struct opts *o)
{
	const char *ref, *status, *note, *to;
	struct store *st;
	int rc;

	if (o->nargs != 2)
		usage_error("status takes a reference and a status");
	ref = o->args[0];
	status = o->args[1];
	if (o->note && o->to && strcmp(o->note, "-") == 0 &&
	    strcmp(o->to, "-") == 0)
		usage_error("only one of --note and --to can be read from "
		    "standard input");
	note = read_stdin_arg("--note", o->note, MAX_NOTE);
	to = read_stdin_arg("--to", o->to, MAX_TO);
	if (!ref_valid(ref, strlen(ref)))	/* main normalised it */
		usage_error("'%s' is not a reference", ref);
	if (!store_valid_status(status))
		usage_error("the status is one of %s", status_list());
	if ((strcmp(status, "forwarded") == 0) != (to != NULL))
		usage_error("forwarded takes --to NAME (and only forwarded "
		    "does)");
	if (note != NULL && (note[0] == '\0' || !text_ok(note, MAX_NOTE)))
		usage_error("--note takes 1 to %d printable characters",
		    MAX_NOTE);
	/* A name is one line. */
	if (to != NULL && (to[0] == '\0' || strchr(to, '\n') != NULL ||
	    !text_ok(to, MAX_TO)))
		usage_error("--to takes 1 to %d printable characters on one "
		    "line", MAX_TO);
	if (o->db == NULL && case_path(o) != NULL)
		return case_status(o, ref, status, note, to);
	st = db_open(o);
	rc = set_status(o, st, ref, status, note, to);
	store_close(st);
	if (rc == 1)
		die("no report %s", ref);
	printf("%s: %s\n", ref, status);
	return 0;
}

static int
found(void *ctx, const struct store_row *row)
{
	(void)ctx;
	(void)row;
	return 1;
}

/* The plaintext of a status or route event: {"note":...,"to":...}. */
static char *
event_plain(const char *note, const char *to)
{
	json_t *o;
	char *s;

	if (note == NULL && to == NULL)
		return NULL;
	o = json_object();
	if (note != NULL)
		json_object_set_new(o, "note", json_string(note));
	if (to != NULL)
		json_object_set_new(o, "to", json_string(to));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		die("out of memory");
	return s;
}

/* One status event by this analyst, with its note or destination. */
void
case_status_event(const struct opts *o, struct store *st,
    const struct seckey *key, const char *ref, const char *status,
    const char *note, const char *to)
{
	struct team t;
	char *plain = event_plain(note, to);

	team_load(o, &t);
	/* forwarded always names where to: a route event. */
	case_write_event(st, &t, key, to != NULL ? EV_ROUTE : EV_STATUS, ref,
	    event_status_code(status), plain);
	record_free_string(plain);
}

int
case_status(const struct opts *o, const char *ref, const char *status,
    const char *note, const char *to)
{
	struct seckey key;
	struct team t;
	struct store *st;

	team_load(o, &t);	/* before the passphrase: fail early */
	st = case_open(o);
	if (store_get(st, ref, found, NULL) != 1)
		die("no report %s in the case file", ref);
	key_unlock(o, &key);
	case_status_event(o, st, &key, ref, status, note, to);
	keyfile_lock(&key);
	store_close(st);
	printf("%s: %s (signed; sent at the next sync)\n", ref, status);
	return 0;
}

/* The reports review goes through, in the order it shows them. */
struct item {
	long long	id;
	char		ref[REF_LEN + 1];
	char		status[16];	/* as review last set it */
	int		urgent;
};

struct review {
	struct item	*v;
	size_t		 n, cap, urgent;
};

static int
collect_new(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	struct review *rv = rd->ctx;
	struct item *it;

	(void)rec;
	if (rv->n == rv->cap) {
		rv->cap = rv->cap ? rv->cap * 2 : 64;
		if ((rv->v = realloc(rv->v, rv->cap * sizeof(*rv->v))) == NULL)
			die("out of memory");
	}
	it = &rv->v[rv->n++];
	it->id = row->id;
	memcpy(it->ref, row->ref, REF_LEN + 1);
	snprintf(it->status, sizeof(it->status), "%s", row->status);
	it->urgent = (rd->flags & flag_urgent()) != 0;
	rv->urgent += (size_t)it->urgent;
	return 0;
}

/* Urgent first, then the oldest (ids grow with arrival). */
static int
item_order(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->urgent != y->urgent)
		return y->urgent - x->urgent;
	return (x->id > y->id) - (x->id < y->id);
}

/* Swallows the rest of an escape sequence that began with c (ESC, or
 * the 8-bit CSI): a terminal's answer (to ESC [ c, say) is input the
 * analyst never typed, and its last letter must not become a decision.
 * By the sequence's grammar (ECMA-48), not by time, so that an answer
 * that arrives in pieces is still swallowed whole: CSI up to its final
 * byte (0x40-0x7e), OSC, DCS, APC and PM up to BEL or ST, SS3 and two-
 * byte sequences one byte more. At most 256 bytes. */
static void
swallow_escape(int tty, unsigned char c)
{
	int csi = c == 0x9b, str = 0, n;
	char b;

	if (!csi) {
		if (read(tty, &b, 1) != 1)
			return;
		csi = b == '[';
		str = b == ']' || b == 'P' || b == '_' || b == '^';
		if (b == 'O' && read(tty, &b, 1) != 1)
			return;
		if (!csi && !str)
			return;
	}
	for (n = 0; n < 256 && read(tty, &b, 1) == 1; n++)
		if ((csi && b >= 0x40 && b <= 0x7e) || (str && (b == 0x07 ||
		    b == '\\')))
			return;
}

/* One key, without echo or Enter; 'q' at end of input; 0 for a
 * terminal's escape sequence, which is dropped whole. */
static int
read_key(int tty)
{
	struct termios old, raw;
	char c = 'q';

	if (tcgetattr(tty, &old) != 0)
		return read(tty, &c, 1) == 1 ? c : 'q';
	raw = old;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	/* Pending input was discarded before the question (ask()). */
	tcsetattr(tty, TCSANOW, &raw);
	if (read(tty, &c, 1) != 1)
		c = 'q';
	else if (c == 0x1b || (unsigned char)c == 0x9b) {
		swallow_escape(tty, (unsigned char)c);
		c = 0;
	}
	tcsetattr(tty, TCSANOW, &old);
	return c;
}

/* A line from the terminal (echoed, as typed), for a destination or a
 * note; -1 when empty or not printable text of max characters. */
static int
read_line_tty(int tty, char *buf, size_t cap, size_t max)
{
	size_t n = 0;
	char c;

	while (n + 1 < cap && read(tty, &c, 1) == 1 && c != '\n')
		if (c != '\r')
			buf[n++] = c;
	buf[n] = '\0';
	return n > 0 && text_ok(buf, max) ? 0 : -1;
}

/* Puts a question. Input that is already waiting is discarded first:
 * it was typed before the question was seen, or it is a terminal's
 * answer to an escape sequence, and must not be taken as a decision.
 * Flushed before the prompt is shown, so a key pressed after seeing
 * it is kept. */
static void
ask(int tty, const char *prompt)
{
	fflush(stdout);
	tcflush(tty, TCIFLUSH);
	fputs(prompt, stdout);
	fflush(stdout);
}

/* Overwrites the note file before it is removed. */
static void
wipe_fd(int fd)
{
	static const char zero[512];
	off_t size = lseek(fd, 0, SEEK_END), o;

	for (o = 0; o < size; o += (off_t)sizeof(zero))
		if (pwrite(fd, zero, sizeof(zero), o) < 0)
			break;
	(void)fsync(fd);
}

/* A note from $VISUAL or $EDITOR (passed to sh as
 * TIPLINE_NOTE_EDITOR, so that "code -w" works), in a file of a fresh
 * 0700 directory, in memory when /dev/shm exists; wiped and removed
 * once read. */
static int
note_from_editor(char *buf, size_t cap)
{
	char dir[64], path[80];
	ssize_t n;
	pid_t pid;
	int fd, status, rv = -1;

	snprintf(dir, sizeof(dir), "/dev/shm/tipline-note-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, sizeof(dir), "/tmp/tipline-note-XXXXXX");
		if (mkdtemp(dir) == NULL)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/note.txt", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto out;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", "$TIPLINE_NOTE_EDITOR \"$1\"", "sh",
		    path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 && (n = pread(fd, buf, cap - 1, 0)) >= 0) {
		buf[n] = '\0';
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		rv = n > 0 && text_ok(buf, MAX_NOTE) ? 0 : -1;
	}
	wipe_fd(fd);
	close(fd);
	unlink(path);
out:
	rmdir(dir);
	return rv;
}

/* Writes a note about it->ref, sealed as the status notes are: in a
 * case file a note event, else a history row that keeps the status. */
static void
review_note(struct reader *rd, int tty, struct item *it)
{
	static char note[MAX_NOTE * 4 + 2];
	const char *ed = getenv("VISUAL");
	int rc;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed != NULL && *ed != '\0') {
		setenv("TIPLINE_NOTE_EDITOR", ed, 1);
		rc = note_from_editor(note, sizeof(note));
	} else {
		ask(tty, "Note (one line; empty to cancel): ");
		rc = read_line_tty(tty, note, sizeof(note), MAX_NOTE);
	}
	if (rc != 0) {
		printf("(no note written)\n");
		sodium_memzero(note, sizeof(note));
		return;
	}
	if (rd->o->db == NULL && case_path(rd->o) != NULL) {
		struct team t;
		char *plain = event_plain(note, NULL);

		team_load(rd->o, &t);
		case_write_event(rd->st, &t, &rd->key, EV_NOTE, it->ref, 0,
		    plain);
		record_free_string(plain);
	} else
		set_status(rd->o, rd->st, it->ref, it->status, note, NULL);
	sodium_memzero(note, sizeof(note));
	printf("%s: note written\n", it->ref);
}

/* Sets a status by its key; forwarded asks where to. 0 when set. */
static int
review_set(struct reader *rd, int tty, struct item *it, int status)
{
	char to[MAX_TO * 4 + 1];
	const char *name = status_table[status].name;
	int route = strcmp(name, "forwarded") == 0;

	if (route) {
		ask(tty, "Forwarded to: ");
		if (read_line_tty(tty, to, sizeof(to), MAX_TO) != 0) {
			printf("(nothing changed)\n");
			return -1;
		}
	}
	if (rd->o->db == NULL && case_path(rd->o) != NULL)
		case_status_event(rd->o, rd->st, &rd->key, it->ref, name, NULL,
		    route ? to : NULL);
	else
		set_status(rd->o, rd->st, it->ref, name, NULL, route ? to :
		    NULL);
	snprintf(it->status, sizeof(it->status), "%s", name);
	printf("%s: %s\n", it->ref, name);
	return 0;
}

/* The question, from the status table: "[n]ext [b]ack [w] note
 * [r] in-review ... [q]uit: ". */
static const char *
review_prompt(void)
{
	static char p[256];
	size_t o;
	int i;

	o = (size_t)snprintf(p, sizeof(p), "\n[n]ext  [b]ack  [w] note  ");
	for (i = 0; i < nstatuses; i++)
		if (status_table[i].key != 0)
			o += (size_t)snprintf(p + o, sizeof(p) - o, "[%c] %s  ",
			    status_table[i].key, status_table[i].name);
	snprintf(p + o, sizeof(p) - o, "[q]uit: ");
	return p;
}

enum step { STEP_NEXT, STEP_BACK, STEP_QUIT };

/* Asks about one report until a key moves on; counts decisions. */
static enum step
decide(struct reader *rd, int tty, struct item *it, int *decided)
{
	int c, i;

	for (;;) {
		ask(tty, review_prompt());
		c = read_key(tty);
		printf("%c\n", c >= 0x20 && c < 0x7f ? c : '?');
		if (c == 'q')
			return STEP_QUIT;
		if (c == 'n')
			return STEP_NEXT;
		if (c == 'b')
			return STEP_BACK;
		if (c == 'w') {
			review_note(rd, tty, it);
			continue;
		}
		for (i = 0; c != 0 && i < nstatuses; i++)
			if (status_table[i].key == c)
				break;
		if (c == 0 || i == nstatuses)
			continue;
		if (review_set(rd, tty, it, i) != 0)
			continue;
		(*decided)++;
		return STEP_NEXT;
	}
}

static int
review_show(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	print_report(rd, row, rec);
	return 1;
}

/* Shows the reports in order; b goes back one, n or a decision on. */
static size_t
review_loop(struct reader *rd, int tty, struct review *rv, int *decided)
{
	size_t i = 0, seen = 0;
	enum step s = STEP_NEXT;

	while (i < rv->n) {
		if (i + 1 > seen)
			seen = i + 1;
		/* "3 of 12 · 2 urgent" */
		printf("\n------------------------------------------------------"
		    "--------------\n%zu of %zu \xc2\xb7 %zu urgent%s\n", i + 1,
		    rv->n, rv->urgent, rv->v[i].urgent ? " \xc2\xb7 this one "
		    "is urgent" : "");
		rd->shown = 0;
		if (reader_run(rd, rv->v[i].ref) == 1 && rd->shown > 0)
			s = decide(rd, tty, &rv->v[i], decided);
		else if (s == STEP_BACK && i > 0)
			s = STEP_BACK;	/* gone meanwhile: keep going back */
		else
			s = STEP_NEXT;
		if (s == STEP_QUIT)
			break;
		if (s == STEP_BACK && i == 0)
			printf("(this is the first)\n");
		else if (s == STEP_BACK)
			i--;
		else
			i++;
	}
	return seen;
}

int
cmd_review(struct opts *o)
{
	struct opts ro = *o;
	struct review rv;
	struct reader rd;
	size_t seen;
	int tty, decided = 0;

	if (o->nargs != 0)
		usage_error("review takes no arguments");
	if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		die("review needs a terminal: %s", strerror(errno));
	memset(&rv, 0, sizeof(rv));
	memset(&rd, 0, sizeof(rd));
	ro.status = "new";
	rd.o = &ro;
	rd.st = db_open(o);
	rd.emit = collect_new;
	rd.ctx = &rv;
	/* The passphrase once, before the first report: the flags that
	 * order the queue are inside the envelopes. */
	if (reader_run(&rd, NULL) != 0)
		die("cannot read the database");
	qsort(rv.v, rv.n, sizeof(*rv.v), item_order);
	printf("%zu new report%s, %zu urgent.\n", rv.n, rv.n == 1 ? "" : "s",
	    rv.urgent);
	rd.emit = review_show;
	seen = review_loop(&rd, tty, &rv, &decided);
	printf("\nReviewed %zu of %zu; %d decided.\n", seen, rv.n, decided);
	reader_done(&rd);
	free(rv.v);
	close(tty);
	return rd.bad ? EXIT_FAIL : 0;
}
