/*
 * Translations: a GNU .mo file (compiled by msgfmt from html/locale/LANG.po)
 * read into a table of msgid -> msgstr. catalog_parse is a pure parser,
 * bytes in, table out, no I/O, strict and bounded, so that the server,
 * the unit tests and a fuzzer call the same code. We do not use
 * setlocale() or libintl: they are process-global and need system
 * locales that a fresh Debian does not have.
 */
#ifndef TIPLINE_CATALOG_H
#define TIPLINE_CATALOG_H

#include <stddef.h>

#include "bounds.h"

/* Marks a string as a msgid for xgettext (--keyword=N_) without
 * translating it where it stands: it is looked up when a page is built. */
#define N_(s)	(s)

enum catalog_err {
	CATALOG_OK = 0,
	CATALOG_E_MAGIC,	/* not a .mo file */
	CATALOG_E_VERSION,	/* a revision we do not read */
	CATALOG_E_BOUNDS,	/* a count, offset or length out of the file */
	CATALOG_E_STRING,	/* a string without its NUL, or with one inside
				   (plural forms, which we do not use) */
	CATALOG_E_ORDER,	/* msgids not sorted, or one twice */
	CATALOG_E_TEXT,		/* invalid UTF-8 or a control character */
	CATALOG_E_CHARSET,	/* header does not say charset=UTF-8 */
	CATALOG_E_TOO_BIG,	/* over MAX_CATALOG or MAX_MESSAGES */
	CATALOG_E_NOMEM,
};

struct catalog {
	char		 *data;	/* a copy of the file; strings point here */
	size_t		  n;	/* entries, the header included */
	const char	**id;	/* sorted by bytes, as msgfmt writes them */
	const char	**str;
};

enum catalog_err catalog_parse(const unsigned char *p, size_t len,
		    struct catalog *);
void		 catalog_free(struct catalog *);
const char	*catalog_strerror(enum catalog_err);

/* The translation of msgid s[0..n), or NULL if the catalog has none
 * (or c is NULL). */
const char	*catalog_get(const struct catalog *c, const char *s, size_t n);
/* The translation of msgid, or msgid itself when there is none: the
 * English text is the last resort, never an empty page. */
const char	*catalog_tr(const struct catalog *c, const char *msgid);

#endif
