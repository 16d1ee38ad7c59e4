/*
 * Building and reading records with jansson, so that no JSON is escaped
 * by hand. Allocation goes through a wrapper that wipes memory on free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "record.h"

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
