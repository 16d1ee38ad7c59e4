/*
 * A reader for GNU .mo files ("The Format of GNU MO Files" in the
 * gettext manual): a 28-byte header (magic 0x950412de in the writer's
 * byte order, revision, count N, offsets O and T of the two tables of
 * (length, offset) pairs, hash table size and offset), then the strings,
 * each followed by a NUL. We read both byte orders and revision 0 only,
 * check every count, offset and length against the file before use,
 * require the msgids sorted and unique (msgfmt writes them so, and
 * lookups are a binary search), and ignore the optional hash table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "utf8.h"

#define MO_MAGIC	0x950412deU
#define MO_HEADER	28

struct mo {
	const unsigned char	*p;
	size_t			 len;
	int			 swap;	/* big-endian file */
};

static uint32_t
word(const struct mo *m, size_t off)
{
	const unsigned char *b = m->p + off;

	if (m->swap)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[1] << 8 | b[0];
}

/* Text a page may show: valid UTF-8, no control characters but the
 * line feed. The header entry (msgstr of "") is metadata and may hold
 * any UTF-8 text lines. */
static int
text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_next(s + i, n - i, &cp)) == 0)
			return 0;
		if ((cp < 0x20 && cp != '\n') || (cp >= 0x7f && cp < 0xa0))
			return 0;
		i += k;
	}
	return 1;
}

/* The string at table entry i (table at off): its length and offset
 * inside the file, with its NUL, and no NUL within. */
static enum catalog_err
string_at(const struct mo *m, uint32_t table, uint32_t i, const char **out)
{
	uint64_t e = (uint64_t)table + (uint64_t)i * 8, slen, soff;

	if (e + 8 > m->len)
		return CATALOG_E_BOUNDS;
	slen = word(m, (size_t)e);
	soff = word(m, (size_t)e + 4);
	if (soff + slen + 1 > m->len)
		return CATALOG_E_BOUNDS;
	if (m->p[soff + slen] != '\0' || memchr(m->p + soff, '\0',
	    (size_t)slen) != NULL)
		return CATALOG_E_STRING;
	if (!text_ok(m->p + soff, (size_t)slen))
		return CATALOG_E_TEXT;
	*out = (const char *)m->p + soff;
	return CATALOG_OK;
}

static enum catalog_err
check_header(const struct mo *m, uint32_t *n, uint32_t *o, uint32_t *t)
{
	uint32_t magic;

	if (m->len < MO_HEADER)
		return CATALOG_E_MAGIC;
	magic = word(m, 0);
	if (magic != MO_MAGIC)
		return CATALOG_E_MAGIC;
	if (word(m, 4) != 0)
		return CATALOG_E_VERSION;
	*n = word(m, 8);
	*o = word(m, 12);
	*t = word(m, 16);
	if (*n == 0)
		return CATALOG_E_CHARSET;	/* not even a header entry */
	if (*n > MAX_MESSAGES)
		return CATALOG_E_TOO_BIG;
	return CATALOG_OK;
}

/* msgfmt puts the header (msgid "") first; it must declare UTF-8,
 * the only encoding our pages use. */
static enum catalog_err
check_charset(const struct catalog *c)
{
	if (c->id[0][0] != '\0' || strstr(c->str[0], "charset=UTF-8") == NULL)
		return CATALOG_E_CHARSET;
	return CATALOG_OK;
}

static enum catalog_err
read_tables(const struct mo *m, uint32_t o, uint32_t t, struct catalog *c)
{
	enum catalog_err e;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if ((e = string_at(m, o, (uint32_t)i, &c->id[i])) != CATALOG_OK ||
		    (e = string_at(m, t, (uint32_t)i, &c->str[i])) != CATALOG_OK)
			return e;
		if (i > 0 && strcmp(c->id[i - 1], c->id[i]) >= 0)
			return CATALOG_E_ORDER;
	}
	return check_charset(c);
}

enum catalog_err
catalog_parse(const unsigned char *p, size_t len, struct catalog *c)
{
	struct mo m;
	enum catalog_err e;
	uint32_t n, o, t;

	memset(c, 0, sizeof(*c));
	if (len > MAX_CATALOG)
		return CATALOG_E_TOO_BIG;
	m.p = p;
	m.len = len;
	m.swap = len >= 4 && p[0] == 0x95 && p[1] == 0x04;
	if ((e = check_header(&m, &n, &o, &t)) != CATALOG_OK)
		return e;
	/* The strings point into our own copy, so the caller's buffer
	 * can go. */
	c->data = malloc(len);
	c->id = calloc(n, sizeof(*c->id));
	c->str = calloc(n, sizeof(*c->str));
	if (c->data == NULL || c->id == NULL || c->str == NULL) {
		e = CATALOG_E_NOMEM;
		goto out;
	}
	memcpy(c->data, p, len);
	m.p = (const unsigned char *)c->data;
	c->n = n;
	e = read_tables(&m, o, t, c);
out:
	if (e != CATALOG_OK)
		catalog_free(c);
	return e;
}

void
catalog_free(struct catalog *c)
{
	free(c->data);
	free(c->id);
	free(c->str);
	memset(c, 0, sizeof(*c));
}

const char *
catalog_strerror(enum catalog_err e)
{
	switch (e) {
	case CATALOG_OK:	return "ok";
	case CATALOG_E_MAGIC:	return "not a .mo file";
	case CATALOG_E_VERSION:	return "unknown .mo revision";
	case CATALOG_E_BOUNDS:	return "a table or string lies outside the "
				    "file";
	case CATALOG_E_STRING:	return "a string is not NUL-terminated, or "
				    "has plural forms";
	case CATALOG_E_ORDER:	return "messages not sorted, or one twice";
	case CATALOG_E_TEXT:	return "invalid UTF-8 or a control character";
	case CATALOG_E_CHARSET:	return "no header with charset=UTF-8";
	case CATALOG_E_TOO_BIG:	return "file too large";
	case CATALOG_E_NOMEM:	return "out of memory";
	}
	return "unknown error";
}

/* Compares the NUL-terminated id with s[0..n) as strcmp would. */
static int
cmp(const char *id, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (id[i] != s[i])
			return id[i] == '\0' ? -1 :
			    (unsigned char)id[i] < (unsigned char)s[i] ? -1 : 1;
	}
	return id[n] == '\0' ? 0 : 1;
}

const char *
catalog_get(const struct catalog *c, const char *s, size_t n)
{
	size_t lo = 1, hi, mid;	/* entry 0 is the header, never a text */
	int r;

	if (c == NULL || c->n == 0 || n == 0)
		return NULL;
	hi = c->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = cmp(c->id[mid], s, n)) == 0)	/* "": untranslated */
			return c->str[mid][0] != '\0' ? c->str[mid] : NULL;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
catalog_tr(const struct catalog *c, const char *msgid)
{
	const char *t = catalog_get(c, msgid, strlen(msgid));

	return t != NULL ? t : msgid;
}
