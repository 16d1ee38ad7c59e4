/*
 * Showing reports: list (one line each), show (every field labelled,
 * and the status history with its notes opened), and the JSON form both
 * share with export.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "team.h"
#include "fields.h"
#include "flag.h"
#include "utf8.h"

struct hist_ctx {
	struct reader		*rd;
	const struct store_row	*row;
	json_t			*arr;
};

/* Opens a history note: JSON {"note": "...", "to": "..."} sealed with
 * the associated data "<ref>/note/<history id>". */
static json_t *
open_note(struct reader *rd, const char *ref, const struct store_hist *h)
{
	unsigned char *pt;
	char ad[64];
	size_t n;
	json_t *j;
	enum env_err e;

	snprintf(ad, sizeof(ad), "%s/note/%lld", ref, h->id);
	e = envelope_open(h->note, h->notelen, ad, rd->key.pub.pk,
	    rd->key.sk, &pt, &n);
	if (e != ENV_OK) {
		warnx_("%s: a status note cannot be opened: %s", ref,
		    envelope_strerror(e));
		rd->bad++;
		return NULL;
	}
	j = json_loadb((const char *)pt, n, JSON_REJECT_DUPLICATES, NULL);
	sodium_free(pt);
	if (!json_is_object(j)) {
		warnx_("%s: a status note is damaged", ref);
		json_decref(j);
		rd->bad++;
		return NULL;
	}
	return j;
}

static int
hist_row(void *ctx, const struct store_hist *h)
{
	struct hist_ctx *hc = ctx;
	json_t *o = json_object(), *note;

	json_object_set_new(o, "day", json_clear(h->day));
	json_object_set_new(o, "status", json_clear(h->status));
	/* In a case file, history rows came from the server's database
	 * of before events: nobody signed them. */
	if (hc->rd->o->db == NULL && case_path(hc->rd->o) != NULL) {
		json_object_set_new(o, "event", json_string("imported"));
		json_object_set_new(o, "signature", json_string("unsigned"));
	}
	if (h->note != NULL && (note = open_note(hc->rd, hc->row->ref, h))) {
		json_object_set(o, "to", json_object_get(note, "to"));
		json_object_set(o, "note", json_object_get(note, "note"));
		json_decref(note);
	}
	json_array_append_new(hc->arr, o);
	return 0;
}

/* The sealed part of an event, opened: its note and to. */
static void
event_sealed(struct reader *rd, const struct event *ev, json_t *o)
{
	struct env_buf b = { NULL, 0 };
	enum env_err e;
	json_t *j;
	size_t n;

	if (ev->sealedlen == 0)
		return;
	if ((e = event_open(ev, &rd->key, &b, &n)) == ENV_E_NOKEY)
		e = grant_open_event(rd, ev, &b, &n);
	if (e != ENV_OK) {
		warnx_("%s: an event's sealed part cannot be opened", ev->ref);
		rd->bad++;
		env_buf_free(&b);
		return;
	}
	j = json_loadb((const char *)b.p, n, JSON_REJECT_DUPLICATES, NULL);
	env_buf_free(&b);
	if (json_is_object(j)) {
		json_object_set(o, "to", json_object_get(j, "to"));
		json_object_set(o, "note", json_object_get(j, "note"));
		json_object_set(o, "assignee", json_object_get(j, "assignee"));
		json_object_set(o, "reply", json_object_get(j, "reply"));
	}
	json_decref(j);
}

/* An assignment names a key id; the name comes from the local team
 * file, never from the event. */
static void
assignee_name(const struct team *t, json_t *o)
{
	const char *hex = json_string_value(json_object_get(o, "assignee"));
	const struct identity *m = hex ? team_lookup(t, hex) : NULL;

	if (hex != NULL)
		json_object_set_new(o, "assignee_name", m ? json_string(m->name)
		    : json_null());
}

/* One event as a history entry: who (from the local team file), and
 * whether the signature holds. */
static json_t *
event_entry(struct reader *rd, const struct team *t, const struct event *ev)
{
	const struct identity *m = team_find(t, ev->author);
	json_t *o = json_object();
	char hex[2 * KEY_ID_BYTES + 1];
	int ok = m != NULL && event_verify(ev, m->sign) == EVENT_OK;

	sodium_bin2hex(hex, sizeof(hex), ev->author, KEY_ID_BYTES);
	json_object_set_new(o, "day", json_clear(ev->day));
	json_object_set_new(o, "status", ev->status ?
	    json_string(event_status_name(ev->status)) : json_null());
	json_object_set_new(o, "event", json_string(event_type_name(ev->type)));
	json_object_set_new(o, "author", m ? json_string(m->name) :
	    json_null());
	json_object_set_new(o, "key", json_string(hex));
	json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq));
	json_object_set_new(o, "signature", json_string(ok ? "valid" :
	    m ? "INVALID" : "unknown key"));
	if (!ok)
		rd->bad++;
	else {
		event_sealed(rd, ev, o);
		assignee_name(t, o);
	}
	return o;
}

/* In a case file, the report's events, in the order they were taken. */
static void
event_history(struct reader *rd, const struct store_row *row, json_t *arr)
{
	static struct team t;
	static int loaded;
	struct event ev;
	sqlite3_stmt *s;

	if (rd->o->db != NULL || case_path(rd->o) == NULL)
		return;
	if (!loaded) {
		team_load(rd->o, &t);
		loaded = 1;
	}
	if (sqlite3_prepare_v2(store_sqlite(rd->st), "SELECT body FROM events "
	    "WHERE substr(body, 55, 12) = CAST(? AS BLOB) ORDER BY id", -1,
	    &s, NULL) != SQLITE_OK)
		die("cannot read the events");
	sqlite3_bind_text(s, 1, row->ref, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		if (event_parse(sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), &ev) == EVENT_OK)
			json_array_append_new(arr, event_entry(rd, &t, &ev));
	sqlite3_finalize(s);
}

json_t *
history_json(struct reader *rd, const struct store_row *row)
{
	struct hist_ctx hc = { rd, row, json_array() };

	if (store_history(rd->st, row->id, hist_row, &hc) != 0)
		die("cannot read the status history");
	event_history(rd, row, hc.arr);
	return hc.arr;
}

json_t *
json_clear(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, k;
	uint32_t cp;
	json_t *j;
	char *fixed;

	if ((j = json_string(s)) != NULL)
		return j;
	if ((fixed = malloc(n * 3 + 1)) == NULL)
		die("out of memory");
	while (i < n) {
		if ((k = utf8_next(u + i, n - i, &cp)) == 0) {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
		} else {
			memcpy(fixed + o, u + i, k);
			o += k;
			i += k;
		}
	}
	fixed[o] = '\0';
	j = json_string(fixed);
	free(fixed);
	return j ? j : json_string("?");
}

void
json_print(FILE *f, json_t *j, size_t flags)
{
	char *s, *p;

	/* JSON_ENSURE_ASCII escapes everything above U+007F (surrogate
	 * pairs beyond the BMP) and jansson escapes below U+0020; DEL is
	 * left, and can only be inside a string, so it is escaped here. */
	if ((s = json_dumps(j, flags | JSON_ENSURE_ASCII)) == NULL)
		die("cannot format JSON output");
	for (p = s; *p != '\0'; p++)
		if (*p == 0x7f)
			fputs("\\u007f", f);
		else
			fputc(*p, f);
	fputc('\n', f);
	record_free_string(s);
}

void
case_summary(json_t *hist, struct summary *sum)
{
	json_t *h;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	json_array_foreach(hist, i, h) {
		const char *st = json_string_value(json_object_get(h, "status"));
		const char *to = json_string_value(json_object_get(h, "to"));
		const char *day = json_string_value(json_object_get(h, "day"));
		const char *sig = json_string_value(json_object_get(h,
		    "signature"));

		if (sig != NULL && strcmp(sig, "valid") != 0)
			continue;	/* an event that did not verify */
		if (st != NULL) {
			sum->status_day = day;
			sum->decided_by = json_string_value(json_object_get(h,
			    "author"));
		}
		if (to != NULL) {
			sum->routed_to = to;
			sum->routed_day = day;
		}
	}
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_clear(s) : json_null();
}

json_t *
flags_json(unsigned set)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < nflags; i++)
		if (set & (1u << i))
			json_array_append_new(a, json_string(flag_table[i].name));
	return a;
}

void
json_report(struct reader *rd, const struct store_row *row,
    const struct record *rec, FILE *f)
{
	json_t *o = json_object(), *hist = history_json(rd, row), *files;
	struct summary sum;

	case_summary(hist, &sum);
	json_object_set_new(o, "ref", json_clear(row->ref));
	json_object_set_new(o, "day", json_clear(row->day));
	json_object_set_new(o, "status", json_clear(row->status));
	json_object_set_new(o, "flags", flags_json(rd->flags));
	json_object_set_new(o, "status_day", str_or_null(sum.status_day));
	json_object_set_new(o, "decided_by", str_or_null(sum.decided_by));
	json_object_set_new(o, "routed_to", str_or_null(sum.routed_to));
	json_object_set_new(o, "routed_day", str_or_null(sum.routed_day));
	json_object_set(o, "record", rec->root);
	json_object_set_new(o, "history", hist);
	json_object_set_new(o, "messages", messages_json(rd, row));
	if ((files = files_json(rd, row)) != NULL)
		json_object_set_new(o, "files", files);
	json_print(f, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
}

/* A clear column: planted past the CHECK constraints, it may hold
 * anything, so it reaches the terminal only through safe_write. */
static void
put_clear(const char *s)
{
	safe_write(stdout, s, strlen(s), 0);
}

static void
print_field(const struct field *f, const char *v, size_t n)
{
	const char *label = field_choice_label(f, v), *nl;

	printf("%s:", f->label);
	if (f->kind != FIELD_TEXT) {
		putchar(' ');
		safe_write(stdout, label ? label : v, label ? strlen(label) :
		    n, 0);
		putchar('\n');
		return;
	}
	/* Multi-line text: each line indented under the label. */
	for (;;) {
		if ((nl = memchr(v, '\n', n)) == NULL)
			nl = v + n;
		fputs("\n  ", stdout);
		safe_write(stdout, v, (size_t)(nl - v), 0);
		if (nl == v + n)
			break;
		n -= (size_t)(nl - v) + 1;
		v = nl + 1;
	}
	putchar('\n');
}

static void
print_assignee(json_t *h)
{
	json_t *a = json_object_get(h, "assignee");
	const char *name = json_string_value(json_object_get(h,
	    "assignee_name"));

	if (a == NULL)
		return;
	fputs(" to ", stdout);
	put_clear(name ? name : "a key not in the team file ");
	if (name == NULL)
		put_clear(json_string_value(a) ? json_string_value(a) : "?");
}

static void
print_history(json_t *hist, const struct store_row *row)
{
	json_t *h;
	size_t i;

	fputs("\nHistory:\n  ", stdout);
	put_clear(row->day);
	fputs("  received\n", stdout);
	json_array_foreach(hist, i, h) {
		const char *to = json_string_value(json_object_get(h, "to"));
		const char *note = json_string_value(json_object_get(h, "note"));
		const char *reply = json_string_value(json_object_get(h,
		    "reply"));
		const char *day = json_string_value(json_object_get(h, "day"));
		const char *st = json_string_value(json_object_get(h, "status"));

		const char *ev = json_string_value(json_object_get(h, "event"));
		const char *who = json_string_value(json_object_get(h,
		    "author"));
		const char *sig = json_string_value(json_object_get(h,
		    "signature"));

		fputs("  ", stdout);
		put_clear(day ? day : "?");
		fputs("  ", stdout);
		put_clear(st ? st : ev ? ev : "?");
		if (ev != NULL && strcmp(ev, "imported") == 0)
			fputs(" (imported from the server, unsigned)", stdout);
		else if (ev != NULL) {
			/* Names come from the local team file; checked. */
			fputs(" by ", stdout);
			put_clear(who ? who : "an unknown key");
			if (sig != NULL && strcmp(sig, "valid") != 0) {
				fputs(" [signature ", stdout);
				put_clear(sig);
				fputs("]", stdout);
			}
		}
		if (to != NULL) {
			fputs(" to ", stdout);
			safe_write(stdout, to, strlen(to), 0);
		}
		print_assignee(h);
		if (note != NULL) {
			fputs(": ", stdout);
			safe_write(stdout, note, strlen(note), 0);
		}
		if (reply != NULL) {	/* to the reporter, by the author */
			fputs(" to the reporter: ", stdout);
			safe_write(stdout, reply, strlen(reply), 0);
		}
		putchar('\n');
	}
}

/* "minors, ongoing", or "none". */
static void
print_flags(unsigned set)
{
	int i, n = 0;

	for (i = 0; i < nflags; i++)
		if (set & (1u << i))
			printf("%s%s", n++ ? ", " : "", flag_table[i].name);
	if (n == 0)
		fputs("none", stdout);
}

void
print_report(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	json_t *hist = history_json(rd, row);
	size_t i;

	fputs("Reference: ", stdout);
	put_clear(row->ref);
	fputs("\nReceived:  ", stdout);
	put_clear(row->day);
	fputs("\nStatus:    ", stdout);
	put_clear(row->status);
	fputs("\nLanguage:  ", stdout);
	put_clear(rec->lang);
	printf("\nForm:      version %d\nFlags:     ", rec->form);
	print_flags(rd->flags);
	fputs("\n\n", stdout);
	for (i = 0; i < nfields; i++)
		if (rec->value[i] != NULL)
			print_field(&fields[i], rec->value[i], rec->len[i]);
	files_print(rd, row);
	print_history(hist, row);
	json_decref(hist);
	hist = messages_json(rd, row);
	print_messages(hist);
	json_decref(hist);
}

/* The first max code points of s on one line. */
static void
excerpt(FILE *f, const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = strlen(s), k, cnt = 0;
	uint32_t cp;

	while (i < n && cnt < max) {
		k = utf8_next(u + i, n - i, &cp);
		i += k ? k : 1;
		cnt++;
	}
	safe_write(f, s, i, 0);
	if (i < n)
		fputs("...", f);
}

/* A choice field's value for display: only values from the field's
 * list; anything else (a planted record) shows as "?". */
const char *
choice_value(const struct record *rec, const char *name)
{
	const char *v = record_value(rec, name);

	return *v == '\0' || field_choice_label(field_find(name), v) ? v : "?";
}

struct list_ctx {
	int	tty;
	size_t	width;		/* characters left for the excerpt */
	int	urgent;		/* reports listed with an urgent flag */
};

static int
list_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	struct list_ctx *lc = rd->ctx;
	char letters[33];

	lc->urgent += (rd->flags & flag_urgent()) != 0;
	if (rd->o->json) {
		json_report(rd, row, rec, stdout);
		return 0;
	}
	flag_letters(rd->flags, letters);
	/* ref, day and status are clear columns: put_clear, padded to
	 * the width a valid value has. */
	put_clear(row->ref);
	fputs(lc->tty ? "  " : "\t", stdout);
	put_clear(row->day);
	fputs(lc->tty ? "  " : "\t", stdout);
	put_clear(row->status);
	if (lc->tty)
		printf("%*s  %-7s  %-11s  %-7s  ", (int)(9 - (strlen(row->status) <
		    9 ? strlen(row->status) : 9)), "", letters,
		    choice_value(rec, "type"), choice_value(rec, "canton"));
	else
		printf("\t%s\t%s\t%s\t", letters, choice_value(rec, "type"),
		    choice_value(rec, "canton"));
	excerpt(stdout, record_value(rec, "description"), lc->width);
	putchar('\n');
	return 0;
}

int
cmd_list(struct opts *o)
{
	struct list_ctx lc = { isatty(STDOUT_FILENO), 60, 0 };
	struct reader rd;
	struct winsize ws;
	int rc;

	if (o->nargs != 0)
		usage_error("list takes no arguments");
	if (lc.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 89)
		lc.width = (size_t)ws.ws_col - 73;
	else if (lc.tty)
		lc.width = 16;
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	rd.emit = list_row;
	rd.ctx = &lc;
	/* A header and a count for people; a pipe gets the rows only. */
	if (lc.tty && !o->json) {
		key_unlock(o, &rd.key);	/* the prompt before the header */
		printf("%-12s  %-10s  %-9s  %-7s  %-11s  %-7s  %s\n",
		    "REFERENCE", "RECEIVED", "STATUS", "FLAGS", "TYPE",
		    "CANTON", "DESCRIPTION");
	}
	rc = reader_run(&rd, NULL);
	reader_done(&rd);
	if (rc != 0)
		die("cannot read the database");
	if (lc.tty && !o->json)
		printf("%d report%s, %d urgent ('tipline help list' explains "
		    "the flags)\n", rd.shown, rd.shown == 1 ? "" : "s",
		    lc.urgent);
	return rd.bad ? EXIT_FAIL : 0;
}

static int
row_exists(void *ctx, const struct store_row *row)
{
	(void)ctx;
	(void)row;
	return 1;
}

static int
show_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	if (rd->o->json)
		json_report(rd, row, rec, stdout);
	else
		print_report(rd, row, rec);
	return 1;
}

int
cmd_show(struct opts *o)
{
	struct reader rd;
	const char *ref;
	int rc;

	if (o->nargs != 1)
		usage_error("show takes one reference");
	ref = o->args[0];	/* normalised by main (input_ref) */
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	rd.emit = show_row;
	/* A mistyped reference is said before the passphrase is asked. */
	if ((rc = store_get(rd.st, ref, row_exists, NULL)) == 0)
		die("no report %s", ref);
	if (rc > 0)
		rc = reader_run(&rd, ref);
	reader_done(&rd);
	if (rc < 0)
		die("cannot read the database");
	if (rc == 0)
		die("no report %s", ref);
	return rd.bad ? EXIT_FAIL : 0;
}
