/*
 * Reading reports: the filtered reader shared by list, show, export,
 * stats and review, and the list and show commands. Every report is
 * opened with the secret key; its text goes to a terminal only through
 * safe_write, because it came from an anonymous stranger and may hold
 * escape sequences.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "fields.h"
#include "flag.h"
#include "utf8.h"
#include "util.h"

#ifndef DEFAULT_DB
#define DEFAULT_DB "/var/lib/tipline/tips.db"
#endif

static int
is_bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 &&
	    cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

void
safe_write(FILE *f, const char *s, size_t n, int multiline)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_next(u + i, n - i, &cp)) == 0) {
			fputs("\xef\xbf\xbd", f);	/* U+FFFD */
			i++;
			continue;
		}
		if ((cp == '\n' && multiline) || cp == '\t')
			fputc((int)cp, f);
		else if (cp == '\n')
			fputc(' ', f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\x%02x", (unsigned)cp);
		else if ((cp >= 0x80 && cp < 0xa0) || is_bidi(cp))
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(u + i, 1, k, f);
		i += k;
	}
}

/* Text an analyst typed (a note, a name, a search): valid UTF-8, no
 * control characters but newline and tab, at most max characters. */
int
text_ok(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = strlen(s), k, cnt = 0;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_next(u + i, n - i, &cp)) == 0 || (cp < 0x20 &&
		    cp != '\n' && cp != '\t') || (cp >= 0x7f && cp < 0xa0))
			return 0;
		i += k;
		cnt++;
	}
	return cnt <= max;
}

struct store *
db_open(const struct opts *o)
{
	const char *path = o->db;
	struct store *st;
	char err[512];

	/* --db names a database; else the case file, if one is given;
	 * else TIPLINE_DB (the legacy direct read of the server's file). */
	if (path == NULL && case_path(o) != NULL)
		return case_open(o);
	if (path == NULL)
		path = getenv("TIPLINE_DB");
	if (path == NULL)
		path = DEFAULT_DB;
	if ((st = store_open(path, 5000, 0, err, sizeof(err))) == NULL) {
		hint("give the database with --db FILE or TIPLINE_DB");
		die("%s", err);
	}
	return st;
}

const char *
record_value(const struct record *rec, const char *name)
{
	int k = field_index(name);

	return k >= 0 && rec->value[k] ? rec->value[k] : "";
}

void
reader_query(const struct opts *o, struct store_query *q)
{
	memset(q, 0, sizeof(*q));
	q->status = o->status;
	q->since = o->since;
	q->until = o->until;
}

/* ASCII-case-insensitive substring: enough for names, places and
 * numbers; other scripts match exactly. */
static int
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n && hay[i] != '\0'; i++) {
			char a = hay[i], b = needle[i];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (i == n)
			return 1;
	}
	return 0;
}

static int
matches(const struct opts *o, const struct record *rec, unsigned set)
{
	size_t i;

	if ((set & o->flag_all) != o->flag_all || (set & o->flag_none) != 0 ||
	    (o->urgent && (set & flag_urgent()) == 0))
		return 0;
	if (o->type && strcmp(record_value(rec, "type"), o->type) != 0)
		return 0;
	if (o->canton && strcmp(record_value(rec, "canton"), o->canton) != 0)
		return 0;
	if (o->search == NULL)
		return 1;
	for (i = 0; i < nfields; i++)
		if (rec->value[i] && contains(rec->value[i], o->search))
			return 1;
	return 0;
}

/* Whether the command prints records as JSON (json_report), which
 * needs jansson's tree of the record. */
static int
needs_tree(const struct reader *rd)
{
	const struct opts *o = rd->o;

	return rd->tree || o->json || (o->format != NULL && strcmp(o->format, "json") ==
	    0);
}

/* Opens a row into rec; on failure says why, counts it, and returns
 * -1. The plaintext stays in rd->buf, wiped when the reader is done. */
static int
open_row(struct reader *rd, const struct store_row *row,
    struct record *rec)
{
	enum env_err e;
	size_t n;

	e = envelope_open_buf(row->env, row->envlen, row->ref,
	    rd->key.pub.pk, rd->key.sk, &rd->buf, &n);
	/* Sealed before this analyst joined: a colleague's grant. */
	if (e == ENV_E_NOKEY)
		e = grant_open(rd, row->ref, row->env, row->envlen, row->ref,
		    &rd->buf, &n);
	if (e != ENV_OK) {
		warnx_("%s: cannot open: %s", row->ref, envelope_strerror(e));
		rd->bad++;
		return -1;
	}
	/* Text output needs the values only: the lean decoder, in place.
	 * JSON output prints the record as it is (jansson), and so does
	 * every record the lean decoder does not take; as the buffer may
	 * be changed by then, it is opened again. */
	if (!needs_tree(rd) && record_decode((char *)rd->buf.p, n, rec) ==
	    REC_OK)
		return 0;
	if (!needs_tree(rd) && envelope_open_buf(row->env, row->envlen,
	    row->ref, rd->key.pub.pk, rd->key.sk, &rd->buf, &n) != ENV_OK) {
		warnx_("%s: cannot open a second time", row->ref);
		rd->bad++;
		return -1;
	}
	if (record_parse((const char *)rd->buf.p, n, rec) != REC_OK) {
		warnx_("%s: the record inside is damaged", row->ref);
		rd->bad++;
		return -1;
	}
	return 0;
}

static int
reader_row(void *ctx, const struct store_row *row)
{
	struct reader *rd = ctx;
	struct flag_case fc = { row->status, row->day, rd->o->due, 0, 0 };
	long answered;
	struct record rec;
	int stop = 0;

	if (open_row(rd, row, &rec) != 0)
		return 0;
	fc.reporter_new = messages_new(rd, row);
	fc.reply_due = replies_due(rd, row, &answered);
	rd->answered = answered;
	rd->flags = flag_compute(&rec, &fc);
	if (matches(rd->o, &rec, rd->flags)) {
		rd->shown++;
		stop = rd->emit(rd, row, &rec);
	}
	record_free(&rec);
	return stop;
}

/* Unlocks the key (once per reader) and runs emit over the matching
 * reports, or over the one report ref. Returns what store_each or
 * store_get return. */
int
reader_run(struct reader *rd, const char *ref)
{
	struct store_query q;

	if (rd->key.sk == NULL)
		key_unlock(rd->o, &rd->key);
	if (ref != NULL)
		return store_get(rd->st, ref, reader_row, rd);
	reader_query(rd->o, &q);
	return store_each(rd->st, &q, reader_row, rd);
}

void
reader_done(struct reader *rd)
{
	keyfile_lock(&rd->key);
	grants_free(rd);
	env_buf_free(&rd->buf);
	store_close(rd->st);
	rd->st = NULL;
}
