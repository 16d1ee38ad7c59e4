/*
 * Reading reports: list and show. Every report is opened with the
 * secret key; its text is printed through safe_write, because it came
 * from an anonymous stranger and may hold terminal escape sequences.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "fields.h"
#include "record.h"
#include "utf8.h"

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

struct store *
db_open(const struct opts *o)
{
	const char *path = o->db ? o->db : getenv("TIPLINE_DB");
	struct store *st;
	char err[512];

	if (path == NULL)
		path = DEFAULT_DB;
	if ((st = store_open(path, 5000, 0, err, sizeof(err))) == NULL)
		die("%s", err);
	return st;
}

struct reader {
	const struct opts	*o;
	struct seckey		 key;
	int			 bad;	/* rows that did not open */
	int			 found;
};

/* Opens a row into rec; on failure prints why and returns -1. */
static int
open_row(struct reader *rd, const struct store_row *row,
    unsigned char **pt, struct record *rec)
{
	enum env_err e;
	size_t n;

	e = envelope_open(row->env, row->envlen, row->ref, rd->key.pub.pk,
	    rd->key.sk, pt, &n);
	if (e != ENV_OK) {
		warnx_("%s: envelope %s", row->ref, envelope_strerror(e));
		rd->bad++;
		return -1;
	}
	if (record_parse((const char *)*pt, n, rec) != REC_OK) {
		warnx_("%s: the record inside is damaged", row->ref);
		sodium_free(*pt);
		rd->bad++;
		return -1;
	}
	return 0;
}

static const char *
value_of(const struct record *rec, const char *name)
{
	int k = field_index(name);

	return k >= 0 && rec->value[k] ? rec->value[k] : "";
}

static void
json_line(const struct store_row *row, const struct record *rec)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "ref", json_string(row->ref));
	json_object_set_new(o, "day", json_string(row->day));
	json_object_set_new(o, "status", json_string(row->status));
	json_object_set(o, "record", rec->root);
	/* json_dumps escapes control characters, so JSON lines are safe. */
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL) {
		puts(s);
		record_free_string(s);
	}
	json_decref(o);
}

/* The first max code points of s, on one line. */
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

static int
list_row(void *ctx, const struct store_row *row)
{
	struct reader *rd = ctx;
	struct record rec;
	unsigned char *pt;

	if (open_row(rd, row, &pt, &rec) != 0)
		return 0;
	if (rd->o->json)
		json_line(row, &rec);
	else {
		printf("%s  %s  %-9s  %-11s  %-7s  ", row->ref, row->day,
		    row->status, value_of(&rec, "type"),
		    value_of(&rec, "canton"));
		excerpt(stdout, value_of(&rec, "description"), 40);
		putchar('\n');
	}
	record_free(&rec);
	sodium_free(pt);
	return 0;
}

int
cmd_list(struct opts *o)
{
	struct reader rd;
	struct store *st = db_open(o);
	int rc;

	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	key_unlock(o, &rd.key);
	rc = store_each(st, list_row, &rd);
	keyfile_lock(&rd.key);
	store_close(st);
	if (rc != 0)
		die("cannot read the database");
	return rd.bad ? 1 : 0;
}

static void
show_field(const struct field *f, const char *v, size_t n)
{
	const char *label = field_choice_label(f, v);

	const char *nl;

	printf("%s:", f->label);
	if (f->kind == FIELD_TEXT) {
		/* Multi-line text: each line indented under the label. */
		for (; n > 0; n -= (size_t)(nl - v) + 1, v = nl + 1) {
			if ((nl = memchr(v, '\n', n)) == NULL)
				nl = v + n;
			fputs("\n  ", stdout);
			safe_write(stdout, v, (size_t)(nl - v), 0);
			if (nl == v + n)
				break;
		}
	} else {
		putchar(' ');
		safe_write(stdout, label ? label : v, label ? strlen(label) :
		    n, 0);
	}
	putchar('\n');
}

static int
show_row(void *ctx, const struct store_row *row)
{
	struct reader *rd = ctx;
	struct record rec;
	unsigned char *pt;
	size_t i;

	rd->found++;
	if (open_row(rd, row, &pt, &rec) != 0)
		return 1;
	if (rd->o->json)
		json_line(row, &rec);
	else {
		printf("Reference: %s\nReceived:  %s\nStatus:    %s\n\n",
		    row->ref, row->day, row->status);
		for (i = 0; i < nfields; i++)
			if (rec.value[i] != NULL)
				show_field(&fields[i], rec.value[i],
				    rec.len[i]);
	}
	record_free(&rec);
	sodium_free(pt);
	return 1;
}

int
cmd_show(struct opts *o)
{
	struct reader rd;
	struct store *st;
	const char *ref;
	int rc;

	if (o->nargs != 1)
		die("usage: tipline show [--json] REF");
	ref = o->args[0];
	if (!ref_valid(ref, strlen(ref)))
		die("'%s' is not a reference (they look like TL-7KQ2-M9XD)",
		    ref);
	st = db_open(o);
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	key_unlock(o, &rd.key);
	rc = store_get(st, ref, show_row, &rd);
	keyfile_lock(&rd.key);
	store_close(st);
	if (rc < 0)
		die("cannot read the database");
	if (rc == 0)
		die("no report %s", ref);
	return rd.bad ? 1 : 0;
}
