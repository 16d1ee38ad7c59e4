/*
 * Rendering. Everything that came from a request goes through
 * html_escape, and so does every translation; the form is built from the
 * field table (lib/fields.c) so the page and the validator cannot
 * disagree. Texts are English msgids looked up in the page's catalog.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "fields.h"
#include "keyfile.h"
#include "page.h"
#include "profile.h"
#include "utf8.h"

static const char *const page_files[PAGE_MAX] = {
	"layout.html", "form.html", "received.html", "error.html",
	"privacy.html", "followup.html", "answers.html"
};

const char *const page_msgs[MSG_MAX] = {
	[MSG_ERROR_PREFIX] = N_("Error:"),
	[MSG_PROBLEM] = N_("Your report has not been sent yet"),
	[MSG_REQUIRED] = N_("(required)"),
	[MSG_CHOOSE] = N_("Please choose"),
	[MSG_FE_REQUIRED] = N_("Please describe what you saw or heard."),
	[MSG_FE_TOO_LONG] = N_("This is too long. Please shorten it."),
	[MSG_FE_CHOICE] = N_("Please choose one of the options."),
	[MSG_FE_CHARS] = N_("This contains characters that are not allowed. "
	    "Please retype it."),
	[MSG_NOT_FOUND_H] = N_("Page not found"),
	[MSG_NOT_FOUND] = N_("This page does not exist."),
	[MSG_NOT_ALLOWED_H] = N_("Not allowed"),
	[MSG_READ_ONLY] = N_("This page can only be read."),
	[MSG_USE_FORM] = N_("Please use the form to send a report."),
	[MSG_NOT_RECEIVED_H] = N_("Not received"),
	[MSG_BAD_TYPE] = N_("The form was sent in a way we do not accept. "
	    "Please use the form on this site."),
	[MSG_NO_LENGTH] = N_("The form was sent without its length. Please "
	    "use the form on this site."),
	[MSG_TOO_LARGE] = N_("What you sent is too long. Please shorten the "
	    "description and send it again."),
	[MSG_INCOMPLETE] = N_("The form arrived incomplete. Please go back "
	    "and send it again."),
	[MSG_TRY_LATER] = N_("Please try again in a few minutes."),
	[MSG_OUR_ERROR] = N_("Your report was NOT received because of an "
	    "error on our side. What you wrote is kept below. Please send it "
	    "again."),
	[MSG_NOT_STORED] = N_("Your report was NOT received: our system is "
	    "busy or has a problem. What you wrote is kept below. Please send "
	    "it again in a few minutes."),
	[MSG_UNREADABLE] = N_("What was sent could not be read. Please fill "
	    "in the form again."),
	[MSG_TOKEN_FRESH] = N_("The form was sent very quickly. Please check "
	    "what you wrote and send it again."),
	[MSG_TOKEN_EXPIRED] = N_("The form was open for a long time and has "
	    "expired. What you wrote is kept below. Please send it again."),
	[MSG_TOKEN_BAD] = N_("The form could not be verified. What you wrote "
	    "is kept below. Please send it again."),
	[MSG_UNEXPECTED] = N_("The form contained something we did not "
	    "expect. Please check it and send it again."),
	[MSG_LANGUAGE] = N_("Language"),
	[MSG_ASK_HOW] = N_("You said we may contact you, but not how. Please "
	    "add a phone number or e-mail address, or send the report without "
	    "them."),
	[MSG_ASK_KEEP] = N_("You said we should not contact you, but you gave "
	    "contact details. Please change your answer or delete the details, "
	    "or send the report as it is."),
	[MSG_SEND_AS_IS] = N_("Send as it is"),
	[MSG_STATUS_RECEIVED] = N_("Status: received"),
	[MSG_STATUS_LOOKED_AT] = N_("Status: being looked at"),
	[MSG_STATUS_PASSED_ON] = N_("Status: passed on to the services that "
	    "can help or act"),
	[MSG_STATUS_CLOSED] = N_("Status: closed"),
	[MSG_RECEIPT_UNKNOWN] = N_("Nothing was found for this receipt. "
	    "Please check each character and try again."),
	[MSG_RECEIPT_TYPO] = N_("This receipt has a typing error. Please "
	    "check each character and try again."),
	[MSG_WROTE_ON] = N_("You added information on these days:"),
	[MSG_NO_ANSWER] = N_("No answer yet. We usually answer within a week."),
	[MSG_ADDED_H] = N_("Thank you"),
	[MSG_ADDED] = N_("What you wrote was added to your report. Come back "
	    "with your receipt to read our answers."),
	[MSG_CAP_EXPIRED] = N_("This page was open for too long. Please type "
	    "your receipt again."),
	[MSG_MESSAGE_EMPTY] = N_("Please write something before sending."),
	[MSG_TOO_MANY_TRIES] = N_("Too many tries. Please wait a few minutes "
	    "and try again."),
	[MSG_FILE_KIND] = N_("Your report was NOT received: the file "
	    "{file} is not a kind we accept (photos: JPEG, PNG, "
	    "WebP, HEIC; PDF documents; plain text). What you wrote is kept "
	    "below. Please choose your files again and send it."),
	[MSG_FILE_TOO_LARGE] = N_("Your report was NOT received: the file "
	    "{file} is larger than {limit} MB. What you wrote is "
	    "kept below. Please choose your files again and send it."),
	[MSG_FILES_TOO_MANY] = N_("Your report was NOT received: at most "
	    "{limit} files can be sent with a report, and {file} "
	    "was one more. What you wrote is kept below. Please choose your "
	    "files again and send it."),
	[MSG_FILES_TOO_LARGE] = N_("Your report was NOT received: the files "
	    "together are larger than {limit} MB (from {file} "
	    "on). What you wrote is kept below. Please choose your files "
	    "again and send it."),
	[MSG_FILES_LEGEND] = N_("Photos and documents"),
	[MSG_FILES_LIMITS] = N_("Up to {files} files, each up to {each} MB, "
	    "{all} MB in all: photos (JPEG, PNG, WebP, HEIC), PDF documents "
	    "or plain text."),
	[MSG_FILES_PLACE] = N_("Photos can show where and when they were "
	    "taken and which phone or camera took them. To leave this out, "
	    "send a screenshot of the photo instead of the photo itself, or "
	    "turn off location in your camera settings before you take "
	    "photos."),
	[MSG_FILES_ABUSE] = N_("Do not download or send images of abuse. "
	    "Describe where you saw them instead."),
};

const char *
page_msg(const struct catalog *cat, enum msg m)
{
	return catalog_tr(cat, page_msgs[(unsigned)m < MSG_MAX ? m :
	    MSG_NOT_FOUND]);
}

static int
load_catalog(struct catalog *cat, const char *dir, enum lang l, char *err,
    size_t errlen)
{
	enum catalog_err e = CATALOG_E_NOMEM;
	char path[2048], *text = NULL;
	size_t n;

	snprintf(path, sizeof(path), "%s/locale/%s.mo", dir, lang_code(l));
	switch (keyfile_slurp(path, MAX_CATALOG, &text, &n)) {
	case KF_OK:
		e = catalog_parse((const unsigned char *)text, n, cat);
		break;
	case KF_E_FORMAT:
		e = CATALOG_E_TOO_BIG;
		break;
	default:
		snprintf(err, errlen, "cannot read translations %s (run make: "
		    "it compiles html/locale/%s.po)", path, lang_code(l));
		return -1;
	}
	free(text);
	if (e == CATALOG_OK)
		return 0;
	snprintf(err, errlen, "translations %s: %s", path, catalog_strerror(e));
	return -1;
}

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
			goto fail;
		}
	}
	for (i = 0; i < LANG_MAX; i++)
		if (load_catalog(&t->cat[i], dir, (enum lang)i, err,
		    errlen) != 0)
			goto fail;
	if (page_check(t, err, errlen) == 0)
		return 0;
fail:
	page_unload(t);
	return -1;
}

void
page_unload(struct templates *t)
{
	size_t i;

	for (i = 0; i < PAGE_MAX; i++) {
		free(t->text[i]);
		t->text[i] = NULL;
	}
	for (i = 0; i < LANG_MAX; i++)
		catalog_free(&t->cat[i]);
}

/* The {{_ text}} placeholders of one template. */
static int
template_msgids(const char *t, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	const char *open, *close;
	int r;

	while ((open = strstr(t, "{{_ ")) != NULL &&
	    (close = strstr(open + 4, "}}")) != NULL) {
		if ((r = fn(open + 4, (size_t)(close - open - 4), arg)) != 0)
			return r;
		t = close + 2;
	}
	return 0;
}

static int
call(const char *s, int (*fn)(const char *, size_t, void *), void *arg)
{
	return s != NULL ? fn(s, strlen(s), arg) : 0;
}

int
page_msgids(const struct templates *t,
    int (*fn)(const char *, size_t, void *), void *arg)
{
	const struct choice *c;
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < PAGE_MAX; i++)
		if (t->text[i] != NULL)
			r = template_msgids(t->text[i], fn, arg);
	for (i = 0; r == 0 && i < MSG_MAX; i++)
		r = call(page_msgs[i], fn, arg);
	for (i = 0; r == 0 && i < EMERGENCY_MAX; i++)
		r = call(emergency_labels[i], fn, arg);
	for (i = 0; r == 0 && i < HELP_MAX; i++)
		r = call(help_labels[i], fn, arg);
	for (i = 0; r == 0 && i < SAY_MAX; i++)
		r = call(help_says[i], fn, arg);
	for (i = 0; r == 0 && i < UI_MAX; i++)
		r = call(profile_ui[i], fn, arg);
	for (i = 0; r == 0 && i < nfields; i++) {
		if ((r = call(fields[i].group, fn, arg)) != 0 ||
		    (r = call(fields[i].label, fn, arg)) != 0 ||
		    (r = call(fields[i].hint, fn, arg)) != 0)
			break;
		for (c = fields[i].choices; r == 0 && c && c->value; c++)
			r = call(c->label, fn, arg);
	}
	return r;
}

struct check {
	const struct catalog	*cat;
	enum lang		 lang;
	char			*err;
	size_t			 errlen;
};

static int
check_one(const char *s, size_t n, void *arg)
{
	struct check *k = arg;

	if (catalog_get(k->cat, s, n) != NULL)
		return 0;
	snprintf(k->err, k->errlen, "no %s translation of \"%.*s\" (add it to "
	    "html/locale/%s.po and run make)", lang_code(k->lang),
	    n > 200 ? 200 : (int)n, s, lang_code(k->lang));
	return -1;
}

int
page_check(const struct templates *t, char *err, size_t errlen)
{
	struct check k;
	size_t i;

	for (i = 0; i < LANG_MAX; i++) {
		k.cat = &t->cat[i];
		k.lang = (enum lang)i;
		k.err = err;
		k.errlen = errlen;
		if (page_msgids(t, check_one, &k) != 0)
			return -1;
	}
	return 0;
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

/* Appends the translation of msgid, escaped. */
static void
tr_escape(struct buf *b, const struct catalog *cat, const char *msgid)
{
	const char *s = catalog_tr(cat, msgid);

	html_escape(b, s, strlen(s));
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

/* One placeholder, name[0..len): "_ text" is a translation, anything
 * else a variable. */
static void
placeholder(struct buf *b, const struct catalog *cat, const char *name,
    size_t len, const struct var *vars, size_t nvars)
{
	const struct var *v;
	const char *s;

	if (len > 2 && name[0] == '_' && name[1] == ' ') {
		if ((s = catalog_get(cat, name + 2, len - 2)) != NULL)
			html_escape(b, s, strlen(s));
		else	/* no catalog (or a gap page_check did not see) */
			html_escape(b, name + 2, len - 2);
		return;
	}
	v = find_var(vars, nvars, name, len);
	if (v == NULL || v->value == NULL)
		return;
	if (v->kind == VAR_HTML)
		buf_str(b, v->value);
	else
		html_escape(b, v->value, strlen(v->value));
}

void
page_render(struct buf *b, const struct catalog *cat, const char *tmpl,
    const struct var *vars, size_t nvars)
{
	const char *open, *close;

	while ((open = strstr(tmpl, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		buf_add(b, tmpl, (size_t)(open - tmpl));
		placeholder(b, cat, open + 2, (size_t)(close - open - 2), vars,
		    nvars);
		tmpl = close + 2;
	}
	buf_str(b, tmpl);
}

static const char *
field_message(enum field_err e)
{
	switch (e) {
	case FE_NONE:		break;
	case FE_REQUIRED:	return page_msgs[MSG_FE_REQUIRED];
	case FE_TOO_LONG:	return page_msgs[MSG_FE_TOO_LONG];
	case FE_CHOICE:		return page_msgs[MSG_FE_CHOICE];
	case FE_CHARS:		return page_msgs[MSG_FE_CHARS];
	}
	return "";
}

/* The label, hint and error message of a field. */
static void
field_texts(struct buf *b, const struct catalog *cat, const struct field *f,
    enum field_err e)
{
	buf_str(b, "<label for=\"f-");
	buf_str(b, f->name);
	buf_str(b, "\">");
	tr_escape(b, cat, f->label);
	/* Only the one required field is marked: "(optional)" beside
	 * twenty fields made the form look longer than it is. */
	if (f->required) {
		buf_str(b, " <span class=\"req\">");
		tr_escape(b, cat, page_msgs[MSG_REQUIRED]);
		buf_str(b, "</span>");
	}
	buf_str(b, "</label>\n");
	if (f->hint != NULL) {
		buf_str(b, "<p class=\"hint\" id=\"h-");
		buf_str(b, f->name);
		buf_str(b, "\">");
		tr_escape(b, cat, f->hint);
		buf_str(b, "</p>\n");
	}
	if (e != FE_NONE) {
		buf_str(b, "<p class=\"error-msg\" id=\"e-");
		buf_str(b, f->name);
		buf_str(b, "\"><span class=\"vh\">");
		tr_escape(b, cat, page_msgs[MSG_ERROR_PREFIX]);
		buf_str(b, " </span>");
		tr_escape(b, cat, field_message(e));
		buf_str(b, "</p>\n");
	}
}

/* The opening of the control, up to its last attribute. The hint and
 * the error message are tied to it with aria-describedby, so a screen
 * reader reads them with the field. */
static void
control_open(struct buf *b, const struct field *f, enum field_err e)
{
	char num[32];

	if (f->kind == FIELD_CHOICE)
		buf_str(b, "<select");
	else {
		snprintf(num, sizeof(num), "%zu", f->max);
		buf_str(b, f->kind == FIELD_TEXT ? "<textarea rows=\"" :
		    "<input type=\"text\" size=\"");
		buf_str(b, f->kind == FIELD_TEXT ? (f->max > 2000 ? "10" :
		    "4") : "40");
		buf_str(b, "\" maxlength=\"");
		buf_str(b, num);
		buf_str(b, "\"");
	}
	buf_str(b, " id=\"f-");
	buf_str(b, f->name);
	buf_str(b, "\" name=\"");
	buf_str(b, f->name);
	buf_str(b, "\" autocomplete=\"off\"");
	if (f->hint != NULL || e != FE_NONE) {
		buf_str(b, " aria-describedby=\"");
		if (f->hint != NULL) {
			buf_str(b, "h-");
			buf_str(b, f->name);
		}
		if (e != FE_NONE) {
			buf_str(b, f->hint != NULL ? " e-" : "e-");
			buf_str(b, f->name);
		}
		buf_str(b, "\"");
	}
	if (f->required)
		buf_str(b, " required");
	if (e != FE_NONE)
		buf_str(b, " aria-invalid=\"true\"");
}

static void
field_control(struct buf *b, const struct catalog *cat,
    const struct field *f, const char *v, size_t n)
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
		buf_str(b, ">\n<option value=\"\">");
		tr_escape(b, cat, page_msgs[MSG_CHOOSE]);
		buf_str(b, "</option>\n");
		for (c = f->choices; c->value != NULL; c++) {
			buf_str(b, "<option value=\"");
			buf_str(b, c->value);
			buf_str(b, n == strlen(c->value) && memcmp(v, c->value,
			    n) == 0 ? "\" selected>" : "\">");
			tr_escape(b, cat, c->label);
			buf_str(b, "</option>\n");
		}
		buf_str(b, "</select>\n");
	}
}

/* A group opens when the form comes back with something in it, so the
 * reporter sees what they typed and what needs a look. */
static int
group_open(const struct report *r, size_t first, const char *group)
{
	size_t i;

	for (i = first; r != NULL && i < nfields &&
	    strcmp(fields[i].group, group) == 0; i++)
		if (r->err[i] != FE_NONE || (r->value[i] != NULL &&
		    r->len[i] > 0))
			return 1;
	return 0;
}

/* The first group is always shown (it holds the description); the
 * others are <details>, which work without script and are read by
 * screen readers as a button that expands. */
static void
group_start(struct buf *b, const struct catalog *cat,
    const struct report *r, size_t i)
{
	const char *group = fields[i].group;

	if (i == 0) {
		/* The page's heading says what this is; a visible legend
		 * would push the description off a phone's first screen. */
		buf_str(b, "<fieldset>\n<legend class=\"vh\">");
		tr_escape(b, cat, group);
		buf_str(b, "</legend>\n");
		return;
	}
	buf_str(b, group_open(r, i, group) ? "<details class=\"group\" open>"
	    "\n<summary>" : "<details class=\"group\">\n<summary>");
	tr_escape(b, cat, group);
	buf_str(b, "</summary>\n<fieldset>\n<legend class=\"vh\">");
	tr_escape(b, cat, group);
	buf_str(b, "</legend>\n");
}

void
page_fields(struct buf *b, const struct catalog *cat, const struct report *r)
{
	const char *group = NULL;
	enum field_err e;
	size_t i;
	int in_details = 0;

	for (i = 0; i < nfields; i++) {
		if (group == NULL || strcmp(group, fields[i].group) != 0) {
			if (group != NULL)
				buf_str(b, in_details ? "</fieldset>\n"
				    "</details>\n" : "</fieldset>\n");
			group = fields[i].group;
			in_details = i > 0;
			group_start(b, cat, r, i);
		}
		e = r ? r->err[i] : FE_NONE;
		buf_str(b, e != FE_NONE ? "<div class=\"field field-error\">\n" :
		    "<div class=\"field\">\n");
		field_texts(b, cat, &fields[i], e);
		control_open(b, &fields[i], e);
		field_control(b, cat, &fields[i], r && r->value[i] ?
		    r->value[i] : "", r && r->value[i] ? r->len[i] : 0);
		buf_str(b, "</div>\n");
	}
	if (group != NULL)
		buf_str(b, in_details ? "</fieldset>\n</details>\n" :
		    "</fieldset>\n");
}

/* The pattern of the UK government's design system: a summary at the
 * top that links to each field in error. */
/* A question (lib/ask.h): it links to the contact field, and its
 * button sends the form as it is. The button sits outside the <form>
 * (the summary comes first on the page) and names it with form=. */
static void
summary_question(struct buf *b, const struct catalog *cat, int ask)
{
	buf_str(b, "<li><a href=\"#f-contact\">");
	tr_escape(b, cat, page_msgs[ask == ASK_CONTACT_HOW ? MSG_ASK_HOW :
	    MSG_ASK_KEEP]);
	buf_str(b, "</a><br><button type=\"submit\" form=\"report\" "
	    "class=\"secondary\" name=\"" FORM_CONFIRM "\" value=\""
	    ASK_CONFIRM_CONTACT "\">");
	tr_escape(b, cat, page_msgs[MSG_SEND_AS_IS]);
	buf_str(b, "</button></li>\n");
}

/* The translation of msgid, escaped, with {file} and {limit} filled in
 * (the name isolated, so that a right-to-left name does not reorder the
 * sentence around it). */
static void
tr_escape_fill(struct buf *b, const struct catalog *cat, const char *msgid,
    const char *file, const char *limit)
{
	const char *s = catalog_tr(cat, msgid), *p;

	while ((p = strchr(s, '{')) != NULL) {
		html_escape(b, s, (size_t)(p - s));
		if (strncmp(p, "{file}", 6) == 0 && file != NULL) {
			buf_str(b, "<strong><bdi>");
			html_escape(b, file, strlen(file));
			buf_str(b, "</bdi></strong>");
			s = p + 6;
		} else if (strncmp(p, "{limit}", 7) == 0 && limit != NULL) {
			html_escape(b, limit, strlen(limit));
			s = p + 7;
		} else {
			html_escape(b, p, 1);
			s = p + 1;
		}
	}
	html_escape(b, s, strlen(s));
}

void
page_file_field(struct buf *b, const struct catalog *cat, int files,
    long long each_mb, long long all_mb)
{
	const char *s, *p;
	char n[24];

	if (files <= 0)
		return;
	buf_str(b, "<fieldset class=\"files\">\n<legend id=\"l-files\">");
	tr_escape(b, cat, page_msgs[MSG_FILES_LEGEND]);
	buf_str(b, "</legend>\n<p class=\"hint\" id=\"h-files\">");
	/* {files}, {each}, {all}: numbers, so nothing to escape in them. */
	for (s = catalog_tr(cat, page_msgs[MSG_FILES_LIMITS]);
	    (p = strchr(s, '{')) != NULL; ) {
		html_escape(b, s, (size_t)(p - s));
		n[0] = '\0';
		if (strncmp(p, "{files}", 7) == 0)
			snprintf(n, sizeof(n), "%d", files), s = p + 7;
		else if (strncmp(p, "{each}", 6) == 0)
			snprintf(n, sizeof(n), "%lld", each_mb), s = p + 6;
		else if (strncmp(p, "{all}", 5) == 0)
			snprintf(n, sizeof(n), "%lld", all_mb), s = p + 5;
		else
			html_escape(b, p, 1), s = p + 1;
		buf_str(b, n);
	}
	html_escape(b, s, strlen(s));
	buf_str(b, "</p>\n<p class=\"hint warn\" id=\"w-files\">");
	tr_escape(b, cat, page_msgs[MSG_FILES_PLACE]);
	buf_str(b, "</p>\n<p class=\"hint warn\">");
	tr_escape(b, cat, page_msgs[MSG_FILES_ABUSE]);
	buf_str(b, "</p>\n<input type=\"file\" id=\"f-files\" name=\"files\" "
	    "multiple accept=\"image/jpeg,image/png,image/webp,image/heic,"
	    ".heic,application/pdf,text/plain\" "
	    "aria-labelledby=\"l-files\" aria-describedby=\"h-files w-files\">"
	    "\n</fieldset>\n");
}

void
page_error_summary(struct buf *b, const struct catalog *cat,
    const struct report *r, const char *general, int ask)
{
	page_error_summary_file(b, cat, r, general, ask, NULL, NULL);
}

void
page_error_summary_file(struct buf *b, const struct catalog *cat,
    const struct report *r, const char *general, int ask, const char *file,
    const char *limit)
{
	size_t i;

	if (general == NULL && ask == ASK_NONE && (r == NULL || r->nerr == 0))
		return;
	buf_str(b, "<div class=\"error-summary\" role=\"alert\" "
	    "aria-labelledby=\"errors-title\" tabindex=\"-1\" id=\"errors\">\n"
	    "<h2 id=\"errors-title\">");
	tr_escape(b, cat, page_msgs[MSG_PROBLEM]);
	buf_str(b, "</h2>\n<ul>\n");
	if (general != NULL) {
		buf_str(b, "<li>");
		if (file != NULL)
			tr_escape_fill(b, cat, general, file, limit);
		else
			tr_escape(b, cat, general);
		buf_str(b, "</li>\n");
	}
	if (ask != ASK_NONE)
		summary_question(b, cat, ask);
	for (i = 0; r != NULL && i < nfields; i++) {
		if (r->err[i] == FE_NONE)
			continue;
		buf_str(b, "<li><a href=\"#f-");
		buf_str(b, fields[i].name);
		buf_str(b, "\">");
		tr_escape(b, cat, fields[i].label);
		/* A dash reads right in every language, after a label
		 * that ends in "?" too. */
		buf_str(b, " \xe2\x80\x93 ");
		tr_escape(b, cat, field_message(r->err[i]));
		buf_str(b, "</a></li>\n");
	}
	buf_str(b, "</ul>\n</div>\n");
}

void
page_lang_nav(struct buf *b, const struct catalog *cat, enum lang cur,
    const char *here, const enum lang *langs, size_t n)
{
	const char *label = page_msg(cat, MSG_LANGUAGE);
	size_t i;

	/* Closed, it is one line: a 360 px screen keeps the form in view
	 * whatever the number of languages. "Language" in English too,
	 * for someone who cannot read the page's language. */
	buf_str(b, "<details class=\"langs\">\n<summary>");
	html_escape(b, label, strlen(label));
	if (strcmp(label, "Language") != 0)
		buf_str(b, " \xc2\xb7 <span lang=\"en\">Language</span>");
	buf_str(b, ": ");
	buf_str(b, lang_name(cur));
	buf_str(b, "</summary>\n<nav aria-label=\"");
	html_escape(b, label, strlen(label));
	buf_str(b, "\">\n<ul>\n");
	for (i = 0; i < n; i++) {
		buf_str(b, "<li><a href=\"");
		html_escape(b, here, strlen(here));
		buf_str(b, "lang=");
		buf_str(b, lang_code(langs[i]));
		buf_str(b, "\" hreflang=\"");
		buf_str(b, lang_code(langs[i]));
		buf_str(b, "\" lang=\"");
		buf_str(b, lang_code(langs[i]));
		buf_str(b, lang_rtl(langs[i]) ? "\" dir=\"rtl" : "");
		buf_str(b, langs[i] == cur ? "\" aria-current=\"true\">" :
		    "\">");
		buf_str(b, lang_name(langs[i]));
		buf_str(b, "</a></li>\n");
	}
	buf_str(b, "</ul>\n</nav>\n</details>\n");
}
