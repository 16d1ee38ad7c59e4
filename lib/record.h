/*
 * The record: what a reporter wrote, as JSON (jansson), before it is
 * sealed in an envelope. {"v":1,"form":1,"lang":"en","fields":{...}};
 * only fields the reporter filled in are present. docs/FORMATS.md.
 */
#ifndef TIPLINE_RECORD_H
#define TIPLINE_RECORD_H

#include <stddef.h>

#include <jansson.h>

#include "form.h"

#define RECORD_VERSION 1

struct record {
	json_t		*root;
	int		 form;
	const char	*lang;
	const char	*value[MAX_FIELDS];	/* NULL when absent */
	size_t		 len[MAX_FIELDS];
};

enum rec_err {
	REC_OK = 0,
	REC_E_JSON,		/* not JSON */
	REC_E_SHAPE,		/* JSON, but not a record v1 */
};

/* jansson allocations wiped on free, so decrypted text does not linger
 * in freed heap memory. Call once before any other jansson use. */
void		 record_init(void);
/* A malloc'd JSON string for a valid report, or NULL. */
char		*record_build(const struct report *, const char *lang);
/* Frees (and wipes) a string from record_build. */
void		 record_free_string(char *);
enum rec_err	 record_parse(const char *json, size_t n, struct record *);
void		 record_free(struct record *);
/* The lean decoder, for the CLI's text output: decodes buf[0..n) in
 * place (values are unescaped over their JSON text and NUL-terminated
 * there; rec->root stays NULL), with no allocation. It takes only the
 * shape the server writes: the four keys once each, "v" 1, "form" a
 * small integer, string values, keys without escapes, fields known to
 * this version. Anything else, valid or not, is REC_E_LEAN: buf may be
 * changed by then, and the caller decodes a fresh copy with
 * record_parse, which has the last word. What it accepts, record_parse
 * accepts with the same values (tests/fuzz/fuzz_record.c checks). */
#define REC_E_LEAN	3
int		 record_decode(char *buf, size_t n, struct record *);

#endif
