/*
 * Pages. Templates in html/ hold {{name}} placeholders; a value is
 * HTML-escaped unless it is a fragment this program built itself from
 * escaped parts (VAR_HTML). There is no way for a template to ask for
 * unescaped text.
 */
#ifndef TIPLINE_PAGE_H
#define TIPLINE_PAGE_H

#include <stddef.h>

#include "form.h"
#include "util.h"

enum var_kind { VAR_TEXT, VAR_HTML };

struct var {
	const char	*name;
	const char	*value;
	enum var_kind	 kind;
};

enum page_id { PAGE_LAYOUT, PAGE_FORM, PAGE_RECEIVED, PAGE_ERROR, PAGE_MAX };

struct templates {
	char	*text[PAGE_MAX];
};

/* Loads html/{layout,form,received,error}.html from dir. */
int	page_load(struct templates *, const char *dir, char *err,
	    size_t errlen);
void	page_unload(struct templates *);

/* Appends tmpl with its placeholders filled from vars. An unknown name
 * renders as nothing. Fails (b->failed) if the output would be too long. */
void	page_render(struct buf *, const char *tmpl, const struct var *,
	    size_t nvars);
/* HTML-escapes s[0..n); invalid UTF-8 becomes U+FFFD. */
void	html_escape(struct buf *, const char *s, size_t n);
/* The form's fieldsets, filled from r (NULL for an empty form), with a
 * message beside each field in error. */
void	page_fields(struct buf *, const struct report *r);
/* The error summary (empty when r has no error). */
void	page_error_summary(struct buf *, const struct report *r,
	    const char *general);

#endif
