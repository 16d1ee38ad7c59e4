/*
 * The report form's field set, in one table, so that the page, the
 * validator, the record and the CLI agree. Adding a field here adds it
 * everywhere; FORM_VERSION changes when the set changes meaning.
 */
#ifndef TIPLINE_FIELDS_H
#define TIPLINE_FIELDS_H

#include <stddef.h>

#define FORM_VERSION 1

enum field_kind {
	FIELD_LINE,	/* one line of text */
	FIELD_TEXT,	/* several lines of text */
	FIELD_CHOICE,	/* one value from a list */
};

struct choice {
	const char	*value;	/* what is sent and stored */
	const char	*label;	/* what the reporter reads (a msgid) */
};

struct field {
	const char		*name;	/* form name and record key */
	const char		*group;	/* fieldset legend (a msgid) */
	const char		*label;	/* a msgid, as are group and hint */
	const char		*hint;	/* NULL for none */
	enum field_kind		 kind;
	size_t			 max;	/* characters (code points) */
	int			 required;
	const struct choice	*choices;	/* FIELD_CHOICE: NULL-terminated */
};

extern const struct field fields[];
extern const size_t nfields;

const struct field	*field_find(const char *name);
int			 field_index(const char *name);
const char		*field_choice_label(const struct field *, const char *);

/* Names the form carries besides the fields. */
#define FORM_TOKEN	"token"
#define FORM_LANG	"lang"
#define FORM_HONEYPOT	"website"
#define FORM_CONFIRM	"confirm"	/* the "send as it is" button */

#endif
