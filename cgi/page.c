/*
 * Rendering. Everything that came from a request goes through
 * html_escape; the form is built from the field table (lib/fields.c) so
 * the page and the validator cannot disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "keyfile.h"
#include "page.h"
#include "utf8.h"

static const char *const page_files[PAGE_MAX] = {
	"layout.html", "form.html", "received.html", "error.html"
};

int
page_load(struct templates *t, const char *dir, char *err, size_t errlen)
{
	char path[2048];
	size_t n, i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < PAGE_MAX; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, page_files[i]);
		if (keyfile_slurp(path, 64 * 1024, &t->text[i], &n) != KF_OK) {
			snprintf(err, errlen, "cannot read template %s (set "
			    "'templates' in the config to the html/ "
			    "directory)", path);
			page_unload(t);
			return -1;
		}
	}
	return 0;
}

void
page_unload(struct templates *t)
{
	size_t i;

	for (i = 0; i < PAGE_MAX; i++) {
		free(t->text[i]);
		t->text[i] = NULL;
	}
}

void
html_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, run;
	uint32_t cp;

	while (i < n) {
		for (run = i; run < n && u[run] >= 0x20 && u[run] < 0x7f &&
		    strchr("&<>\"'", u[run]) == NULL; run++)
			;
		buf_add(b, s + i, run - i);
		if ((i = run) >= n)
			break;
		switch (u[i]) {
		case '&':  buf_str(b, "&amp;"); k = 1; break;
		case '<':  buf_str(b, "&lt;"); k = 1; break;
		case '>':  buf_str(b, "&gt;"); k = 1; break;
		case '"':  buf_str(b, "&quot;"); k = 1; break;
		case '\'': buf_str(b, "&#39;"); k = 1; break;
		default:
			if ((k = utf8_next(u + i, n - i, &cp)) == 0) {
				buf_str(b, "\xef\xbf\xbd");	/* U+FFFD */
				k = 1;
			} else if (cp < 0x20 && cp != '\n' && cp != '\t')
				buf_str(b, "\xef\xbf\xbd");
			else
				buf_add(b, s + i, k);
		}
		i += k;
	}
}

static const struct var *
find_var(const struct var *v, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(v[i].name) == len && memcmp(v[i].name, name, len) ==
		    0)
			return &v[i];
	return NULL;
}

void
page_render(struct buf *b, const char *t, const struct var *vars,
    size_t nvars)
{
	const char *open, *close;
	const struct var *v;

	while ((open = strstr(t, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		buf_add(b, t, (size_t)(open - t));
		v = find_var(vars, nvars, open + 2, (size_t)(close - open - 2));
		if (v != NULL && v->value != NULL) {
			if (v->kind == VAR_HTML)
				buf_str(b, v->value);
			else
				html_escape(b, v->value, strlen(v->value));
		}
		t = close + 2;
	}
	buf_str(b, t);
}

static void
field_open(struct buf *b, const struct field *f, enum field_err e)
{
	const char *err = e != FE_NONE ? " field-error" : "";
	char num[32];

	buf_str(b, "<div class=\"field");
	buf_str(b, err);
	buf_str(b, "\">\n<label for=\"f-");
	buf_str(b, f->name);
	buf_str(b, "\">");
	html_escape(b, f->label, strlen(f->label));
	buf_str(b, f->required ? " <span class=\"req\">(required)</span>" :
	    " <span class=\"opt\">(optional)</span>");
	buf_str(b, "</label>\n");
	if (f->hint != NULL) {
		buf_str(b, "<p class=\"hint\" id=\"h-");
		buf_str(b, f->name);
		buf_str(b, "\">");
		html_escape(b, f->hint, strlen(f->hint));
		buf_str(b, "</p>\n");
	}
	if (e != FE_NONE) {
		buf_str(b, "<p class=\"error-msg\" id=\"e-");
		buf_str(b, f->name);
		buf_str(b, "\"><span class=\"vh\">Error: </span>");
		buf_str(b, form_field_message(e));
		buf_str(b, "</p>\n");
	}
	if (f->kind != FIELD_CHOICE) {
		snprintf(num, sizeof(num), "%zu", f->max);
		buf_str(b, f->kind == FIELD_TEXT ? "<textarea rows=\"" : "<input "
		    "type=\"text\" size=\"");
		buf_str(b, f->kind == FIELD_TEXT ? (f->max > 2000 ? "10" : "4") :
		    "40");
		buf_str(b, "\" maxlength=\"");
		buf_str(b, num);
		buf_str(b, "\"");
	} else
		buf_str(b, "<select");
	buf_str(b, " id=\"f-");
	buf_str(b, f->name);
	buf_str(b, "\" name=\"");
	buf_str(b, f->name);
	buf_str(b, "\" autocomplete=\"off\"");
	if (f->required)
		buf_str(b, " required");
	if (e != FE_NONE)
		buf_str(b, " aria-invalid=\"true\"");
}

static void
field_control(struct buf *b, const struct field *f, const char *v,
    size_t n)
{
	const struct choice *c;

	if (f->kind == FIELD_LINE) {
		buf_str(b, " value=\"");
		html_escape(b, v, n);
		buf_str(b, "\">\n");
	} else if (f->kind == FIELD_TEXT) {
		buf_str(b, ">");
		html_escape(b, v, n);
		buf_str(b, "</textarea>\n");
	} else {
		buf_str(b, ">\n<option value=\"\">Please choose</option>\n");
		for (c = f->choices; c->value != NULL; c++) {
			buf_str(b, "<option value=\"");
			buf_str(b, c->value);
			buf_str(b, n == strlen(c->value) && memcmp(v, c->value,
			    n) == 0 ? "\" selected>" : "\">");
			html_escape(b, c->label, strlen(c->label));
			buf_str(b, "</option>\n");
		}
		buf_str(b, "</select>\n");
	}
	buf_str(b, "</div>\n");
}

void
page_fields(struct buf *b, const struct report *r)
{
	const char *group = NULL;
	size_t i;

	for (i = 0; i < nfields; i++) {
		if (group == NULL || strcmp(group, fields[i].group) != 0) {
			if (group != NULL)
				buf_str(b, "</fieldset>\n");
			group = fields[i].group;
			buf_str(b, "<fieldset>\n<legend>");
			html_escape(b, group, strlen(group));
			buf_str(b, "</legend>\n");
		}
		field_open(b, &fields[i], r ? r->err[i] : FE_NONE);
		field_control(b, &fields[i], r && r->value[i] ? r->value[i] :
		    "", r && r->value[i] ? r->len[i] : 0);
	}
	if (group != NULL)
		buf_str(b, "</fieldset>\n");
}

void
page_error_summary(struct buf *b, const struct report *r,
    const char *general)
{
	size_t i;

	if (general == NULL && (r == NULL || r->nerr == 0))
		return;
	buf_str(b, "<div class=\"error-summary\" role=\"alert\" "
	    "tabindex=\"-1\" id=\"errors\">\n<h2>There is a problem</h2>\n"
	    "<ul>\n");
	if (general != NULL) {
		buf_str(b, "<li>");
		html_escape(b, general, strlen(general));
		buf_str(b, "</li>\n");
	}
	for (i = 0; r != NULL && i < nfields; i++) {
		if (r->err[i] == FE_NONE)
			continue;
		buf_str(b, "<li><a href=\"#f-");
		buf_str(b, fields[i].name);
		buf_str(b, "\">");
		html_escape(b, fields[i].label, strlen(fields[i].label));
		buf_str(b, ": ");
		buf_str(b, form_field_message(r->err[i]));
		buf_str(b, "</a></li>\n");
	}
	buf_str(b, "</ul>\n</div>\n");
}
