/*
 * Deciding about reports: status (one change, with an optional note
 * sealed to the recipients) and review (the new reports one by one, a
 * single key per decision, the passphrase asked once).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
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
	if (!ref_valid(ref, strlen(ref)))
		usage_error("'%s' is not a reference", ref);
	if (!store_valid_status(status))
		usage_error("the status is one of new, in-review, forwarded, "
		    "closed, spam");
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

struct review {
	char	(*refs)[REF_LEN + 1];
	size_t	n, cap;
};

static int
collect_new(void *ctx, const struct store_row *row)
{
	struct review *rv = ctx;

	if (rv->n == rv->cap) {
		rv->cap = rv->cap ? rv->cap * 2 : 64;
		if ((rv->refs = realloc(rv->refs, rv->cap * sizeof(*rv->refs)))
		    == NULL)
			die("out of memory");
	}
	memcpy(rv->refs[rv->n++], row->ref, REF_LEN + 1);
	return 0;
}

/* One key, without echo or Enter; 'q' at end of input. */
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
	tcsetattr(tty, TCSANOW, &old);
	return c;
}

/* A line from the terminal, for the forwarding destination. */
static int
read_line_tty(int tty, char *buf, size_t cap)
{
	size_t n = 0;
	char c;

	while (n + 1 < cap && read(tty, &c, 1) == 1 && c != '\n')
		if (c != '\r')
			buf[n++] = c;
	buf[n] = '\0';
	return n > 0 && text_ok(buf, MAX_TO) ? 0 : -1;
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

static int
review_show(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	fputs("\n----------------------------------------------------------"
	    "----------\n", stdout);
	print_report(rd, row, rec);
	return 1;
}

/* Asks for one decision about ref; returns 0 to go on, 1 to stop. */
static int
decide(struct reader *rd, int tty, const char *ref, int *decided)
{
	static const char keys[] = "nrfcsq";
	static const char *const statuses[] = {
		NULL, "in-review", "forwarded", "closed", "spam", NULL
	};
	char to[MAX_TO * 4 + 1];
	const char *k;
	int c;

	for (;;) {
		ask(tty, "\n[n]ext  [r] in-review  [f]orwarded  [c]losed  "
		    "[s]pam  [q]uit: ");
		c = read_key(tty);
		printf("%c\n", c >= 0x20 && c < 0x7f ? c : '?');
		if (c == 0 || (k = strchr(keys, c)) == NULL)
			continue;
		if (c == 'q')
			return 1;
		if (c == 'n')
			return 0;
		if (c == 'f') {
			ask(tty, "Forwarded to: ");
			if (read_line_tty(tty, to, sizeof(to)) != 0) {
				printf("(nothing changed)\n");
				continue;
			}
		}
		if (rd->o->db == NULL && case_path(rd->o) != NULL)
			case_status_event(rd->o, rd->st, &rd->key, ref,
			    statuses[k - keys], NULL, c == 'f' ? to : NULL);
		else
			set_status(rd->o, rd->st, ref, statuses[k - keys],
			    NULL, c == 'f' ? to : NULL);
		printf("%s: %s\n", ref, statuses[k - keys]);
		(*decided)++;
		return 0;
	}
}

int
cmd_review(struct opts *o)
{
	struct store_query q;
	struct review rv;
	struct reader rd;
	size_t i;
	int tty, decided = 0, seen = 0;

	if (o->nargs != 0)
		usage_error("review takes no arguments");
	if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		die("review needs a terminal: %s", strerror(errno));
	memset(&rv, 0, sizeof(rv));
	memset(&rd, 0, sizeof(rd));
	memset(&q, 0, sizeof(q));
	q.status = "new";
	rd.o = o;
	rd.st = db_open(o);
	rd.emit = review_show;
	if (store_each(rd.st, &q, collect_new, &rv) != 0)
		die("cannot read the database");
	printf("%zu new report%s.\n", rv.n, rv.n == 1 ? "" : "s");
	/* Oldest first: the order in which they arrived. */
	for (i = rv.n; i > 0; i--) {
		seen++;
		if (reader_run(&rd, rv.refs[i - 1]) != 1 || rd.shown == 0)
			continue;
		rd.shown = 0;
		if (decide(&rd, tty, rv.refs[i - 1], &decided))
			break;
	}
	printf("\nReviewed %d of %zu; %d decided.\n", seen, rv.n, decided);
	reader_done(&rd);
	free(rv.refs);
	close(tty);
	return rd.bad ? EXIT_FAIL : 0;
}
