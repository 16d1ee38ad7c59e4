/*
 * Building and reading records with jansson, so that no JSON is escaped
 * by hand. Allocation goes through a wrapper that wipes memory on free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "record.h"
#include "utf8.h"

/* A size header in front of each block lets free() wipe it. 16 bytes
 * keep the block aligned for any type. */
#define HDR 16

static void *
wipe_malloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - HDR || (p = malloc(n + HDR)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static void
wipe_free(void *v)
{
	unsigned char *p = v;
	size_t n;

	if (p == NULL)
		return;
	p -= HDR;
	memcpy(&n, p, sizeof(n));
	sodium_memzero(p, n + HDR);
	free(p);
}

void
record_init(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

char *
record_build(const struct report *r, const char *lang)
{
	json_t *root, *f;
	char *s = NULL;
	size_t i;

	root = json_object();
	f = json_object();
	if (root == NULL || f == NULL)
		goto out;
	if (json_object_set_new(root, "v", json_integer(RECORD_VERSION)) ||
	    json_object_set_new(root, "form", json_integer(FORM_VERSION)) ||
	    json_object_set_new(root, "lang", json_string(lang)))
		goto out;
	for (i = 0; i < nfields; i++) {
		if (r->value[i] == NULL || r->len[i] == 0)
			continue;
		if (json_object_set_new(f, fields[i].name,
		    json_stringn(r->value[i], r->len[i])) != 0)
			goto out;
	}
	if (json_object_set(root, "fields", f) == 0)
		s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(f);
	json_decref(root);
	return s;
}

enum rec_err
record_parse(const char *json, size_t n, struct record *rec)
{
	json_t *f, *v;
	int k;
	const char *name;

	memset(rec, 0, sizeof(*rec));
	if ((rec->root = json_loadb(json, n, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		return REC_E_JSON;
	v = json_object_get(rec->root, "v");
	f = json_object_get(rec->root, "fields");
	if (!json_is_integer(v) || json_integer_value(v) != RECORD_VERSION ||
	    !json_is_object(f) ||
	    !json_is_integer(json_object_get(rec->root, "form")) ||
	    !json_is_string(json_object_get(rec->root, "lang")))
		goto bad;
	rec->form = (int)json_integer_value(json_object_get(rec->root, "form"));
	rec->lang = json_string_value(json_object_get(rec->root, "lang"));
	json_object_foreach(f, name, v) {
		if (!json_is_string(v))
			goto bad;
		/* Fields a newer form added are kept in root, not shown
		 * by name; the CLI prints them raw. */
		if ((k = field_index(name)) < 0)
			continue;
		rec->value[k] = json_string_value(v);
		rec->len[k] = json_string_length(v);
	}
	return REC_OK;
bad:
	record_free(rec);
	return REC_E_SHAPE;
}

void
record_free(struct record *rec)
{
	json_decref(rec->root);
	rec->root = NULL;
}

void
record_free_string(char *s)
{
	wipe_free(s);
}

/* The lean decoder's cursor over the record being decoded in place. */
struct lean {
	char	*p;	/* next byte to read */
	char	*end;
};

static void
lean_ws(struct lean *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' ||
	    *l->p == '\n' || *l->p == '\r'))
		l->p++;
}

static int
lean_byte(struct lean *l, char c)
{
	lean_ws(l);
	if (l->p == l->end || *l->p != c)
		return -1;
	l->p++;
	return 0;
}

static int
hex4(const char *p, uint32_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* A \uXXXX escape at l->p (after the backslash and u), a surrogate
 * pair taken whole; its code point, or -1 for what jansson refuses
 * (U+0000, a lone surrogate). */
static long
lean_u(struct lean *l)
{
	uint32_t hi, lo, cp;

	if (l->end - l->p < 4 || hex4(l->p, &hi) != 0)
		return -1;
	l->p += 4;
	if (hi == 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return -1;
	if (hi < 0xd800 || hi > 0xdbff)
		return (long)hi;
	if (l->end - l->p < 6 || l->p[0] != '\\' || l->p[1] != 'u' ||
	    hex4(l->p + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
		return -1;
	l->p += 6;
	cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return (long)cp;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at l->p, unescaped over itself: *s is its first byte, *len
 * its length, NUL-terminated. An escape never yields more bytes than
 * it takes (\uXXXX is 6 for at most 3, a pair 12 for 4), so the write
 * position never passes the read position. Keys (escapes 0) refuse
 * escapes. */
static int
lean_string(struct lean *l, int escapes, char **s, size_t *len)
{
	char *o;
	uint32_t cp;
	size_t k;
	long u;

	if (lean_byte(l, '"') != 0)
		return -1;
	*s = o = l->p;
	while (l->p < l->end && *l->p != '"') {
		unsigned char c = (unsigned char)*l->p;

		if (c < 0x20)
			return -1;
		if (c != '\\') {
			if ((k = utf8_next((const unsigned char *)l->p,
			    (size_t)(l->end - l->p), &cp)) == 0)
				return -1;
			memmove(o, l->p, k);
			o += k;
			l->p += k;
			continue;
		}
		if (!escapes || l->end - l->p < 2)
			return -1;
		l->p += 2;
		switch (l->p[-1]) {
		case '"': case '\\': case '/':
			*o++ = l->p[-1];
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if ((u = lean_u(l)) < 0)
				return -1;
			o += put_utf8(o, (uint32_t)u);
			break;
		default:
			return -1;
		}
	}
	if (l->p == l->end)
		return -1;
	*len = (size_t)(o - *s);
	*o = '\0';	/* at or before the closing quote */
	l->p++;
	return 0;
}

/* A small non-negative integer without sign, fraction or exponent. */
static int
lean_int(struct lean *l, int *v)
{
	int n = 0;

	lean_ws(l);
	*v = 0;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9' && n < 9) {
		*v = *v * 10 + (*l->p++ - '0');
		n++;
	}
	/* "01" is not JSON; a tenth digit or a '.' or 'e' is not ours. */
	if (n == 0 || (n > 1 && l->p[-n] == '0') || (l->p < l->end &&
	    (*l->p == '.' || *l->p == 'e' || *l->p == 'E' || (*l->p >= '0' &&
	    *l->p <= '9'))))
		return -1;
	return 0;
}

static int
lean_fields(struct lean *l, struct record *rec)
{
	char *key, *v;
	size_t klen, vlen;
	int k;

	if (lean_byte(l, '{') != 0)
		return -1;
	if (lean_byte(l, '}') == 0)
		return 0;
	do {
		if (lean_string(l, 0, &key, &klen) != 0 ||
		    lean_byte(l, ':') != 0 || (k = field_index(key)) < 0 ||
		    rec->value[k] != NULL ||
		    lean_string(l, 1, &v, &vlen) != 0)
			return -1;
		rec->value[k] = v;
		rec->len[k] = vlen;
	} while (lean_byte(l, ',') == 0);
	return lean_byte(l, '}');
}

/* One top-level member; seen holds the keys already met. */
static int
lean_member(struct lean *l, struct record *rec, unsigned *seen)
{
	char *key, *lang;
	size_t klen, len;
	int v;

	if (lean_string(l, 0, &key, &klen) != 0 || lean_byte(l, ':') != 0)
		return -1;
	if (strcmp(key, "v") == 0 && !(*seen & 1)) {
		*seen |= 1;
		return lean_int(l, &v) == 0 && v == RECORD_VERSION ? 0 : -1;
	}
	if (strcmp(key, "form") == 0 && !(*seen & 2)) {
		*seen |= 2;
		return lean_int(l, &rec->form);
	}
	if (strcmp(key, "lang") == 0 && !(*seen & 4)) {
		*seen |= 4;
		if (lean_string(l, 1, &lang, &len) != 0)
			return -1;
		rec->lang = lang;
		return 0;
	}
	if (strcmp(key, "fields") == 0 && !(*seen & 8)) {
		*seen |= 8;
		return lean_fields(l, rec);
	}
	return -1;
}

int
record_decode(char *buf, size_t n, struct record *rec)
{
	struct lean l = { buf, buf + n };
	unsigned seen = 0;

	memset(rec, 0, sizeof(*rec));
	if (lean_byte(&l, '{') != 0)
		goto bad;
	do {
		if (lean_member(&l, rec, &seen) != 0)
			goto bad;
	} while (lean_byte(&l, ',') == 0);
	if (lean_byte(&l, '}') != 0 || seen != 15)
		goto bad;
	lean_ws(&l);
	if (l.p != l.end)
		goto bad;
	return REC_OK;
bad:
	memset(rec, 0, sizeof(*rec));
	return REC_E_LEAN;
}
