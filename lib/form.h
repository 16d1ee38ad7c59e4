/*
 * Parsing and validating a report submitted as
 * application/x-www-form-urlencoded (WHATWG URL standard, section 5).
 * form_parse is pure: bytes in, struct out, no I/O. The FastCGI worker,
 * the unit tests and the fuzzer call the same function.
 */
#ifndef TIPLINE_FORM_H
#define TIPLINE_FORM_H

#include <stddef.h>

#include "fields.h"
#include "bounds.h"

enum form_err {
	FORM_OK = 0,
	FORM_E_ENCODING,	/* a '%' not followed by two hex digits */
	FORM_E_TOO_MANY,	/* more than MAX_FORM_PAIRS pairs */
	FORM_E_NAME,		/* empty or over-long field name */
	FORM_E_VALUE,		/* a value longer than MAX_FIELD_BYTES */
	FORM_E_NOMEM,
};

struct form_pair {
	char	*name;		/* NUL-terminated, may hold other NULs */
	char	*value;
	size_t	 namelen;
	size_t	 valuelen;
};

struct form {
	char			*buf;	/* decoded bytes; pairs point here */
	size_t			 bufsize;	/* wiped by form_free */
	size_t			 n;
	struct form_pair	 pairs[MAX_FORM_PAIRS];
};

enum form_err	 form_parse(const char *body, size_t len, struct form *);
/* Wipes the decoded report text, then frees it. */
void		 form_free(struct form *);
const char	*form_strerror(enum form_err);

/* Result of checking a parsed form against the field table. */
enum field_err {
	FE_NONE = 0,
	FE_REQUIRED,
	FE_TOO_LONG,
	FE_CHOICE,
	FE_CHARS,	/* invalid UTF-8 or control characters */
};

enum form_general {
	FG_NONE = 0,
	FG_UNKNOWN,	/* a name that is not in the table */
	FG_DUPLICATE,	/* a name sent twice */
	FG_HIDDEN,	/* a token or lang that fails its checks */
};

struct report {
	const char		*value[MAX_FIELDS];	/* per field */
	size_t			 len[MAX_FIELDS];
	enum field_err		 err[MAX_FIELDS];
	enum form_general	 general;
	int			 nerr;	/* fields with an error */
	/* The hidden names, NULL when absent or when they failed the
	 * checks; a token is then exactly TOKEN_CHARS bytes. */
	const char		*token;
	const char		*lang;
	int			 bot;	/* the honeypot holds anything */
	const char		*confirm;	/* "send as it is" pressed */
};

/* Fills r from f; normalises CRLF to LF in place. Returns 0 when the
 * report is valid, -1 otherwise (details in r). */
int		 form_check(struct form *, struct report *r);
const char	*form_field_message(enum field_err);

#endif
