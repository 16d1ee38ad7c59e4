/*
 * Pages. Templates in html/ hold {{name}} placeholders, filled from
 * variables, and {{_ English text}} placeholders, replaced by the text's
 * translation in the page's language (html/locale/LANG.po, compiled to
 * LANG.mo files that page_load reads). Every value and every
 * translation is HTML-escaped, unless it is a fragment this program
 * built itself from escaped parts (VAR_HTML). There is no way for a
 * template or a translation to ask for unescaped text.
 */
#ifndef TIPLINE_PAGE_H
#define TIPLINE_PAGE_H

#include <stddef.h>

#include "catalog.h"
#include "form.h"
#include "lang.h"
#include "util.h"

enum var_kind { VAR_TEXT, VAR_HTML };

struct var {
	const char	*name;
	const char	*value;
	enum var_kind	 kind;
};

enum page_id {
	PAGE_LAYOUT, PAGE_FORM, PAGE_RECEIVED, PAGE_ERROR, PAGE_PRIVACY,
	PAGE_FOLLOWUP, PAGE_ANSWERS,
	PAGE_MAX
};

struct templates {
	char		*text[PAGE_MAX];
	struct catalog	 cat[LANG_MAX];
};

/* The texts the program itself puts on pages (titles, error pages,
 * messages beside fields), as msgids; page_msg gives the translation. */
enum msg {
	MSG_ERROR_PREFIX, MSG_PROBLEM, MSG_REQUIRED, MSG_CHOOSE,
	MSG_FE_REQUIRED, MSG_FE_TOO_LONG, MSG_FE_CHOICE, MSG_FE_CHARS,
	MSG_NOT_FOUND_H, MSG_NOT_FOUND,
	MSG_NOT_ALLOWED_H, MSG_READ_ONLY, MSG_USE_FORM,
	MSG_NOT_RECEIVED_H, MSG_BAD_TYPE, MSG_NO_LENGTH, MSG_TOO_LARGE,
	MSG_INCOMPLETE, MSG_TRY_LATER, MSG_OUR_ERROR, MSG_NOT_STORED,
	MSG_UNREADABLE, MSG_TOKEN_FRESH, MSG_TOKEN_EXPIRED, MSG_TOKEN_BAD,
	MSG_UNEXPECTED, MSG_LANGUAGE, MSG_ASK_HOW, MSG_ASK_KEEP,
	MSG_SEND_AS_IS,
	/* the follow-up pages (issue 13); the statuses in enum coarse's
	 * order (lib/followup.h) */
	MSG_STATUS_RECEIVED, MSG_STATUS_LOOKED_AT, MSG_STATUS_PASSED_ON,
	MSG_STATUS_CLOSED, MSG_RECEIPT_UNKNOWN, MSG_RECEIPT_TYPO,
	MSG_WROTE_ON, MSG_NO_ANSWER, MSG_ADDED_H, MSG_ADDED, MSG_CAP_EXPIRED,
	MSG_MESSAGE_EMPTY, MSG_TOO_MANY_TRIES,
	/* Attachments (cgi/upload.h): {file} is the file's safe name,
	 * {limit} a number of files or of MB. */
	MSG_FILE_KIND, MSG_FILE_TOO_LARGE, MSG_FILES_TOO_MANY,
	MSG_FILES_TOO_LARGE,
	/* The form's file field (page_file_field): {files}, {each} and
	 * {all} are the config's limits. */
	MSG_FILES_LEGEND, MSG_FILES_LIMITS, MSG_FILES_PLACE, MSG_FILES_ABUSE,
	MSG_MAX
};

extern const char *const page_msgs[MSG_MAX];

/* Loads html/{layout,form,received,error,privacy,followup,answers}.html
 * and the
 * translations html/locale/LANG.mo of every language in lib/lang.c from
 * dir, then checks with
 * page_check that every text has a translation in every language. */
int	page_load(struct templates *, const char *dir, char *err,
	    size_t errlen);
void	page_unload(struct templates *);
/* 0 if every msgid (of the templates, the field table and page_msgs)
 * has a translation in every catalog; else -1 with the first one
 * missing named in err. */
int	page_check(const struct templates *, char *err, size_t errlen);
/* Calls fn for every msgid a page can show; stops early and returns
 * what fn returned if that is not 0. */
int	page_msgids(const struct templates *,
	    int (*fn)(const char *msgid, size_t n, void *arg), void *arg);

const char *page_msg(const struct catalog *, enum msg);

/* Appends tmpl with its placeholders filled from vars and translations
 * from cat (NULL: the English msgids). An unknown name renders as
 * nothing. Fails (b->failed) if the output would be too long. */
void	page_render(struct buf *, const struct catalog *, const char *tmpl,
	    const struct var *, size_t nvars);
/* HTML-escapes s[0..n); invalid UTF-8 becomes U+FFFD. */
void	html_escape(struct buf *, const char *s, size_t n);
/* The form's fieldsets, filled from r (NULL for an empty form), with a
 * message beside each field in error. Every group but the first is a
 * <details>, closed unless a field in it holds a value or an error:
 * a closed group's fields are still sent, so nothing typed is lost. */
void	page_fields(struct buf *, const struct catalog *,
	    const struct report *r);
/* The error summary (empty when r has no error, general is NULL and
 * ask is 0); general is a page_msgs entry; ask (enum ask, lib/ask.h)
 * adds a question with a "Send as it is" button. */
void	page_error_summary(struct buf *, const struct catalog *,
	    const struct report *r, const char *general, int ask);
/* The same with general, a page_msgs entry that holds {file} and
 * {limit}, filled with file (a safe name, multipart_safe_name) and
 * limit. */
void	page_error_summary_file(struct buf *, const struct catalog *,
	    const struct report *r, const char *general, int ask,
	    const char *file, const char *limit);
/* The form's file input (issue 14): the limits in words, the accepted
 * kinds, and the warnings about what photos carry and about images of
 * abuse; nothing when files is 0 (attachments off). */
void	page_file_field(struct buf *, const struct catalog *, int files,
	    long long each_mb, long long all_mb);
/* The language links, in a <details> that works without script: each
 * to here + "lang=xx", here being a path and query prefix such as "/?"
 * or "/received?ref=TL-...&"; only the n languages in langs. */
void	page_lang_nav(struct buf *, const struct catalog *, enum lang cur,
	    const char *here, const enum lang *langs, size_t n);

#endif
