/*
 * Routing and the report intake. The order in handle_submit is the
 * promise: a reporter is shown "received" only after store_insert
 * (or the writer, cgi/writer.h) answered, that is after the COMMIT; any
 * failure before answers 503. "Received" is the POST's own answer, not
 * a redirect: no URL, and so no browser history, says that a report was
 * made; the page shows the receipt (lib/receipt.h), never the analysts'
 * reference.
 * Nothing here reads the client's address, User-Agent, cookies or
 * Referer; nginx does not even pass them (nginx/tipline-local.conf.in).
 * Every page is in the reader's language: an explicit choice (?lang=,
 * or the form's hidden "lang" field), else Accept-Language, else English
 * for a browser that asks only for languages we lack, else the profile's
 * first language; only the languages the profile offers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "ask.h"
#include "followup.h"
#include "receipt.h"
#include "utf8.h"
#include "record.h"
#include "serve.h"
#include "site.h"
#include "upload.h"
#include "writer.h"

static const char *const common_headers =
    "Content-Type: text/html; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "Vary: Accept-Language\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n"
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n"
    "Content-Security-Policy: default-src 'none'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'\r\n";

/* The language of one response. */
struct view {
	enum lang		 lang;
	int			 chosen;	/* by ?lang= or the form */
	const struct catalog	*cat;
	char			 here[64];	/* this page, for lang links */
};

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default:  return "Internal Server Error";
	}
}

/* The value of name in a query string ("a=1&lang=fr"), its length in
 * *n; NULL if absent, or if the query is longer than MAX_QUERY. Values
 * are compared as sent: ours (a language code, a reference) need no
 * percent-decoding. */
static const char *
query_param(const char *q, const char *name, size_t *n)
{
	size_t len = strlen(name), qlen;
	const char *end, *amp;

	if (q == NULL || (qlen = strlen(q)) > MAX_QUERY)
		return NULL;
	for (end = q + qlen; q < end; q = amp + 1) {
		if ((amp = memchr(q, '&', (size_t)(end - q))) == NULL)
			amp = end;
		if ((size_t)(amp - q) > len && memcmp(q, name, len) == 0 &&
		    q[len] == '=') {
			*n = (size_t)(amp - q) - len - 1;
			return q + len + 1;
		}
	}
	return NULL;
}

static void
view_set(struct ctx *c, struct view *v, enum lang l, int chosen)
{
	v->lang = l;
	v->chosen = chosen;
	v->cat = &c->tmpl.cat[l];
}

/* A language the profile offers, by its exact code; -1 if none. */
static int
offered(const struct ctx *c, const char *s, size_t n)
{
	int l = lang_from_code(s, n);

	return l >= 0 && profile_offers(&c->prof, (enum lang)l) ? l : -1;
}

/* Accept-Language among the offered languages. A browser that names
 * only others gets English when it is offered: a Romanian phone read
 * German before, which its owner is less likely to read than English. */
static int
negotiate(const struct ctx *c, const char *al)
{
	const struct profile *p = &c->prof;
	unsigned mask = 0;
	size_t i;
	int l;

	for (i = 0; i < p->nlangs; i++)
		mask |= 1u << p->langs[i];
	if ((l = lang_negotiate_in(al, strlen(al), mask, p->langs[0])) >= 0)
		return l;
	if (strspn(al, " \t") != strlen(al) && profile_offers(p, LANG_EN))
		return LANG_EN;
	return p->langs[0];
}

/* ?lang=, else Accept-Language, else the default. An unknown ?lang=
 * value is not an error: the page is simply in another language. */
static void
view_init(struct ctx *c, struct view *v, const struct req *rq)
{
	const char *al = rq->accept_language, *s;
	size_t n;
	int l;

	memset(v, 0, sizeof(*v));
	snprintf(v->here, sizeof(v->here), "/?");
	if ((s = query_param(rq->query, "lang", &n)) != NULL &&
	    (l = offered(c, s, n)) >= 0)
		view_set(c, v, (enum lang)l, 1);
	else if (al != NULL)
		view_set(c, v, (enum lang)negotiate(c, al), 0);
	else
		view_set(c, v, c->prof.langs[0], 0);
}

/* Wraps content in the layout and writes headers and body to out. */
/* A template with the profile's variables (cgi/site.h) besides v. */
static void
render(struct ctx *c, const struct view *vw, struct buf *b, enum page_id id,
    const struct var *v, size_t n)
{
	site_render(b, &c->prof, vw->cat, vw->lang, c->tmpl.text[id], v, n);
}

/* Every page's title is the site's name only: the browser's history
 * must not say that a report was made (design: promise 3). */
static int
respond(struct ctx *c, const struct view *vw, struct buf *out, int status,
    const char *content, const char *extra_headers)
{
	struct buf body, nav;
	char line[64];

	buf_init(&body, MAX_PAGE);
	buf_init(&nav, MAX_PAGE);
	page_lang_nav(&nav, vw->cat, vw->lang, vw->here, c->prof.langs,
	    c->prof.nlangs);
	{
		const struct var v[] = {
			{ "languages", nav.p, VAR_HTML },
			{ "content", content, VAR_HTML },
		};
		render(c, vw, &body, PAGE_LAYOUT, v, 2);
	}
	if (body.failed || nav.failed) {
		buf_free(&body);
		status = 500;
		buf_init(&body, 0);
		/* The last resort has no language to pick: all four. */
		buf_str(&body, "<!doctype html><title>Error</title><p lang=\"de\">"
		    "Interner Fehler.</p><p lang=\"fr\">Erreur interne.</p>"
		    "<p lang=\"it\">Errore interno.</p><p lang=\"en\">Internal "
		    "error.</p>");
	}
	snprintf(line, sizeof(line), "Status: %d %s\r\n", status,
	    status_text(status));
	buf_str(out, line);
	buf_str(out, common_headers);
	snprintf(line, sizeof(line), "Content-Language: %s\r\n",
	    lang_code(vw->lang));
	buf_str(out, line);
	if (extra_headers != NULL)
		buf_str(out, extra_headers);
	buf_str(out, "\r\n");
	buf_add(out, body.p, body.len);
	buf_free(&body);
	buf_free(&nav);
	return status;
}

static int
error_page(struct ctx *c, const struct view *vw, struct buf *out,
    int status, enum msg heading, enum msg message,
    const char *extra_headers)
{
	struct buf content;
	const char *h = page_msg(vw->cat, heading);
	const struct var v[] = {
		{ "heading", h, VAR_TEXT },
		{ "message", page_msg(vw->cat, message), VAR_TEXT },
		{ "lang", lang_code(vw->lang), VAR_TEXT },
	};
	int rv;

	buf_init(&content, MAX_PAGE);
	render(c, vw, &content, PAGE_ERROR, v, 3);
	rv = respond(c, vw, out, status, content.failed ? NULL : content.p,
	    extra_headers);
	buf_free(&content);
	return rv;
}

/* The form, empty (r NULL) or as the reporter sent it, with errors and
 * a general message (a page_msgs entry) at the top; file and limit fill
 * a message about an attachment (page_error_summary_file). */
static int
form_page_full(struct ctx *c, const struct view *vw, struct buf *out,
    int status, const struct report *r, const char *general, int ask,
    const char *token, const char *extra_headers, const char *file,
    const char *limit)
{
	struct buf fieldsb, summary, content, filesb;
	char fresh[TOKEN_CHARS + 1];
	int rv;

	if (token == NULL) {
		token_make(c->secret, c->now(), fresh);
		token = fresh;
	}
	buf_init(&fieldsb, MAX_PAGE);
	buf_init(&summary, MAX_PAGE);
	buf_init(&content, MAX_PAGE);
	buf_init(&filesb, MAX_PAGE);
	page_fields(&fieldsb, vw->cat, r);
	page_file_field(&filesb, vw->cat, c->cfg->max_files,
	    c->cfg->max_file_bytes >> 20, c->cfg->max_files_bytes >> 20);
	page_error_summary_file(&summary, vw->cat, r, general, ask, file,
	    limit);
	{
		const struct var v[] = {
			{ "errors", summary.p, VAR_HTML },
			{ "fields", fieldsb.p, VAR_HTML },
			{ "token", token, VAR_TEXT },
			{ "lang", lang_code(vw->lang), VAR_TEXT },
			{ "files", filesb.p != NULL ? filesb.p : "", VAR_HTML },
		};
		render(c, vw, &content, PAGE_FORM, v, 5);
	}
	rv = respond(c, vw, out, status, content.failed ? NULL : content.p,
	    extra_headers);
	buf_free(&fieldsb);
	buf_free(&summary);
	buf_free(&content);
	buf_free(&filesb);
	return rv;
}

static int
form_page_ask(struct ctx *c, const struct view *vw, struct buf *out,
    int status, const struct report *r, const char *general, int ask,
    const char *token, const char *extra_headers)
{
	return form_page_full(c, vw, out, status, r, general, ask, token,
	    extra_headers, NULL, NULL);
}

static int
form_page(struct ctx *c, const struct view *vw, struct buf *out,
    int status, const struct report *r, const char *general,
    const char *token, const char *extra_headers)
{
	return form_page_ask(c, vw, out, status, r, general, ASK_NONE, token,
	    extra_headers);
}

/* The received page, as the answer to the POST (200, no-store): the
 * receipt large, what it is for, when to come back. */
static int
received_page(struct ctx *c, const struct view *vw, struct buf *out,
    const struct receipt *rc)
{
	char shown[RECEIPT_CHARS + 1];
	struct buf content;
	int rv;

	receipt_format(rc, shown);
	buf_init(&content, MAX_PAGE);
	{
		const struct var v[] = {
			{ "receipt", shown, VAR_TEXT },
			{ "lang", lang_code(vw->lang), VAR_TEXT },
		};
		render(c, vw, &content, PAGE_RECEIVED, v, 2);
	}
	rv = respond(c, vw, out, 200, content.failed ? NULL : content.p,
	    NULL);
	buf_free(&content);
	sodium_memzero(shown, sizeof(shown));
	return rv;
}

static int
privacy_page(struct ctx *c, struct view *vw, struct buf *out)
{
	struct buf content;
	const struct var v[] = { { "lang", lang_code(vw->lang), VAR_TEXT } };
	int rv;

	snprintf(vw->here, sizeof(vw->here), "/privacy?");
	buf_init(&content, MAX_PAGE);
	render(c, vw, &content, PAGE_PRIVACY, v, 1);
	rv = respond(c, vw, out, 200, content.failed ? NULL : content.p,
	    NULL);
	buf_free(&content);
	return rv;
}

static const char *
token_message(enum token_err e)
{
	switch (e) {
	case TOKEN_OK:
		return NULL;
	case TOKEN_E_FRESH:
		return page_msgs[MSG_TOKEN_FRESH];
	case TOKEN_E_EXPIRED:
		return page_msgs[MSG_TOKEN_EXPIRED];
	default:
		return page_msgs[MSG_TOKEN_BAD];
	}
}

/* Seals the record and stores it, trying another reference on the
 * (unlikely) collision. */
static enum store_res
seal_and_store(struct ctx *c, const char *rec, const unsigned char *nonce,
    const struct store_receipt *rc, char ref[REF_LEN + 1])
{
	char day[11], expires[11], dup[REF_LEN + 1];
	unsigned char *env;
	size_t envlen;
	enum store_res res = STORE_ERR;
	int tries;

	day_utc((time_t)c->now(), day);
	/* The token was issued before now, so it expires by this day. */
	day_utc((time_t)(c->now() + (uint64_t)c->cfg->token_max_age),
	    expires);
	for (tries = 0; tries < 5; tries++) {
		ref_make(ref);
		if ((c->epoch != NULL ? envelope_seal_epoch(c->epoch,
		    &c->rcpt, ref, (const unsigned char *)rec, strlen(rec),
		    &env, &envlen) : envelope_seal(&c->rcpt, ref,
		    (const unsigned char *)rec, strlen(rec), &env,
		    &envlen)) != 0)
			return STORE_ERR;
		res = c->writer != NULL ? writer_insert(c->writer, nonce,
		    ref, day, expires, env, envlen, rc, dup) :
		    store_insert_with(c->store, nonce, ref, day, expires, env,
		    envlen, rc, dup);
		free(env);
		if (res == STORE_DUP)
			memcpy(ref, dup, sizeof(dup));
		if (res != STORE_REF_TAKEN)
			break;
	}
	return res;
}

/* Stores the report; on any failure the form comes back with what was
 * typed and a message that it was NOT received. */
static int
accept_report(struct ctx *c, const struct view *vw, struct buf *out,
    const struct report *r, const unsigned char *nonce)
{
	char ref[REF_LEN + 1], *rec;
	struct store_receipt sr;
	struct receipt rc;
	enum store_res res;
	int rv;

	/* From the nonce: a re-sent form (STORE_DUP) shows the same one. */
	receipt_from_nonce(c->secret, nonce, &rc);
	if (receipt_derive(&rc, sr.lookup, sr.public_key, NULL) != 0 ||
	    (rec = record_build(r, lang_code(vw->lang))) == NULL) {
		sodium_memzero(&rc, sizeof(rc));
		return form_page(c, vw, out, 500, r, page_msgs[MSG_OUR_ERROR],
		    r->token, NULL);
	}
	res = seal_and_store(c, rec, nonce, &sr, ref);
	record_free_string(rec);
	if (res == STORE_OK || res == STORE_DUP) {
		rv = received_page(c, vw, out, &rc);
		sodium_memzero(&rc, sizeof(rc));
		return rv;
	}
	sodium_memzero(&rc, sizeof(rc));
	if (res == STORE_USED)	/* its report was purged: a replay */
		return form_page(c, vw, out, 400, r, page_msgs[MSG_TOKEN_BAD],
		    NULL, NULL);
	fprintf(stderr, "tipline-fcgi: report not stored: %s\n",
	    res == STORE_BUSY ? "database busy" : res == STORE_FULL ?
	    "database at max_db_size, or disk full" : store_errmsg(c->store));
	/* The same token again: its nonce was not stored (the transaction
	 * rolled back), so sending again works and still makes one report. */
	return form_page(c, vw, out, 503, r, page_msgs[MSG_NOT_STORED],
	    r->token, "Retry-After: 60\r\n");
}

/* The form again, with the reporter's text, naming the attachment that
 * was refused and why (cgi/upload.h); nothing is stored. */
static int
file_refused(struct ctx *c, const struct view *vw, struct buf *out,
    const struct report *r, const struct upload *up, const char *token)
{
	static const enum msg msgs[] = {
		[UPLOAD_KIND] = MSG_FILE_KIND,
		[UPLOAD_TOO_LARGE] = MSG_FILE_TOO_LARGE,
		[UPLOAD_TOO_MANY] = MSG_FILES_TOO_MANY,
		[UPLOAD_TOTAL] = MSG_FILES_TOO_LARGE,
	};
	char limit[32];
	long long n;

	n = up->refusal == UPLOAD_TOO_MANY ? c->cfg->max_files :
	    up->refusal == UPLOAD_TOTAL ? c->cfg->max_files_bytes >> 20 :
	    c->cfg->max_file_bytes >> 20;
	snprintf(limit, sizeof(limit), "%lld", n);
	return form_page_full(c, vw, out, up->refusal == UPLOAD_KIND ? 415 :
	    up->refusal == UPLOAD_TOO_MANY ? 400 : 413, r,
	    page_msgs[msgs[up->refusal]], ASK_NONE, token, NULL, up->refused,
	    limit);
}

static int
seal(struct ctx *c, const char *ref, const unsigned char *pt, size_t n,
    unsigned char **env, size_t *envlen)
{
	return c->epoch != NULL ? envelope_seal_epoch(c->epoch, &c->rcpt, ref,
	    pt, n, env, envlen) : envelope_seal(&c->rcpt, ref, pt, n, env,
	    envlen);
}

/* A report with files: its reference was fixed before the body was
 * read (each chunk is bound to it), so a collision is not retried but
 * answered 503; the heads are sealed like the record, under "REF/i";
 * the chunks wait in the spool, which the writer reads inside the
 * report's transaction. */
static enum store_res
store_with_files(struct ctx *c, const char *rec, const unsigned char *nonce,
    const struct store_receipt *sr, const struct upload *up,
    char dupref[REF_LEN + 1])
{
	struct store_file files[MAX_FILES];
	struct store_batch_row row;
	char day[11], expires[11], href[ATTACH_REF_MAX];
	unsigned char *env = NULL;
	size_t envlen, i, n = 0;
	enum store_res res = STORE_ERR;

	day_utc((time_t)c->now(), day);
	day_utc((time_t)(c->now() + (uint64_t)c->cfg->token_max_age),
	    expires);
	memset(files, 0, sizeof(files));
	for (n = 0; n < up->nfiles; n++) {
		attach_head_ref(up->ref, (unsigned)n, href);
		if (seal(c, href, up->files[n].head, up->files[n].headlen,
		    (unsigned char **)&files[n].head, &files[n].headlen) != 0)
			goto out;
		files[n].nchunks = up->files[n].nchunks;
		files[n].fd = up->spool;
	}
	for (i = 1; i < n; i++)
		files[i].off = files[i - 1].off +
		    (uint64_t)files[i - 1].nchunks * STORE_CHUNK;
	if (seal(c, up->ref, (const unsigned char *)rec, strlen(rec), &env,
	    &envlen) != 0)
		goto out;
	if (c->writer != NULL)
		res = writer_insert_files(c->writer, nonce, up->ref, day,
		    expires, env, envlen, sr, files, n, dupref);
	else {
		memset(&row, 0, sizeof(row));
		memcpy(row.nonce, nonce, TOKEN_NONCE);
		memcpy(row.ref, up->ref, sizeof(row.ref));
		memcpy(row.day, day, sizeof(row.day));
		memcpy(row.expires, expires, sizeof(row.expires));
		row.env = env;
		row.envlen = envlen;
		row.files = files;
		row.nfiles = n;
		row.has_receipt = 1;
		row.receipt = *sr;
		res = store_insert_batch(c->store, &row, 1);
		if (res == STORE_OK)
			res = row.res;
		if (res == STORE_DUP)
			memcpy(dupref, row.dupref, REF_LEN + 1);
	}
out:
	free(env);
	for (i = 0; i < n; i++)
		free((void *)files[i].head);
	return res == STORE_REF_TAKEN ? STORE_BUSY : res;
}

static int
accept_report_files(struct ctx *c, const struct view *vw, struct buf *out,
    const struct report *r, const unsigned char *nonce,
    const struct upload *up)
{
	char dup[REF_LEN + 1], *rec;
	struct store_receipt sr;
	struct receipt rc;
	enum store_res res = STORE_ERR;
	int rv;

	/* From the nonce, as in accept_report. */
	receipt_from_nonce(c->secret, nonce, &rc);
	if (!upload_failed(up) &&
	    receipt_derive(&rc, sr.lookup, sr.public_key, NULL) == 0 &&
	    (rec = record_build(r, lang_code(vw->lang))) != NULL) {
		res = store_with_files(c, rec, nonce, &sr, up, dup);
		record_free_string(rec);
	}
	if (res == STORE_OK || res == STORE_DUP) {
		rv = received_page(c, vw, out, &rc);
		sodium_memzero(&rc, sizeof(rc));
		return rv;
	}
	sodium_memzero(&rc, sizeof(rc));
	if (res == STORE_USED)
		return form_page(c, vw, out, 400, r, page_msgs[MSG_TOKEN_BAD],
		    NULL, NULL);
	fprintf(stderr, "tipline-fcgi: report with files not stored: %s\n",
	    res == STORE_BUSY ? "busy, or reference taken" : res ==
	    STORE_FULL ? "database at max_db_size, or disk full" :
	    "sealing, spooling or database error");
	return form_page(c, vw, out, 503, r, page_msgs[MSG_NOT_STORED],
	    r->token, "Retry-After: 60\r\n");
}

/* A parsed report, from either encoding; up holds its attachments (NULL
 * for an urlencoded body). */
static int
handle_report(struct ctx *c, struct view *vw, struct buf *out,
    struct form *f, const struct upload *up)
{
	unsigned char nonce[TOKEN_NONCE];
	struct report r;
	enum token_err te = TOKEN_E_FORMAT;
	const char *general;
	int rv, l, ask;

	form_check(f, &r);
	/* form_check dropped a lang or token that failed its checks, so
	 * strlen() is their whole length here. */
	if (r.lang != NULL && (l = offered(c, r.lang, strlen(r.lang))) >= 0)
		view_set(c, vw, (enum lang)l, 1);
	if (r.bot) {
		/* A bot: it gets what looks like success, and no row. */
		struct receipt rc;

		receipt_random(&rc);
		return received_page(c, vw, out, &rc);
	}
	if (r.token != NULL)
		te = token_check(c->secret, r.token, strlen(r.token), c->now(),
		    (uint64_t)c->cfg->token_min_age,
		    (uint64_t)c->cfg->token_max_age, nonce);
	general = token_message(te);
	if (general == NULL && r.general != FG_NONE)
		general = page_msgs[MSG_UNEXPECTED];
	if (general != NULL || r.nerr > 0)
		rv = form_page(c, vw, out, 400, &r, general, te == TOKEN_OK ?
		    r.token : NULL, NULL);
	else if (up != NULL && up->refusal != UPLOAD_OK)
		rv = file_refused(c, vw, out, &r, up, r.token);
	else if (up != NULL && up->nfiles > 0)
		rv = accept_report_files(c, vw, out, &r, nonce, up);
	else if ((ask = ask_report(&r)) != ASK_NONE)
		/* A question, not an error: the same token, so that the
		 * answer can be sent at once. */
		rv = form_page_ask(c, vw, out, 200, &r, NULL, ask, r.token,
		    NULL);
	else
		rv = accept_report(c, vw, out, &r, nonce);
	return rv;
}

static int
handle_form(struct ctx *c, struct view *vw, struct buf *out, char *body,
    size_t len)
{
	struct form f;
	int rv;

	if (form_parse(body, len, &f) != FORM_OK)
		return form_page(c, vw, out, 400, NULL,
		    page_msgs[MSG_UNREADABLE], NULL, NULL);
	rv = handle_report(c, vw, out, &f, NULL);
	form_free(&f);
	return rv;
}

/* "application/x-www-form-urlencoded", optionally with parameters
 * (browsers may add "; charset=UTF-8"). */
static int
is_urlencoded(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Content-Length as a number within max; -1 missing or malformed, -2
 * too large. */
static long
content_length(const char *s, long max)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v > (unsigned long long)max)
		return -2;
	return (long)v;
}

/* Reads exactly len bytes; -1 if the body is shorter (a client that
 * lied, or gave up) or longer. */
static int
read_body(const struct req *rq, char *buf, size_t len)
{
	size_t got = 0;
	char extra;
	int n;

	while (got < len) {
		n = rq->read(rq->io, buf + got, (int)(len - got));
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return rq->read(rq->io, &extra, 1) == 0 ? 0 : -1;
}

/* A report with a file input: multipart/form-data, read and checked as
 * it arrives (cgi/upload.h). A body that cannot be read as multipart
 * gets the same answers as a bad urlencoded one. */
static int
handle_upload(struct ctx *c, struct view *vw, const struct req *rq,
    struct buf *out, size_t len)
{
	struct upload *up;
	enum multipart_err e;
	int rv;

	if ((up = malloc(sizeof(*up))) == NULL)
		return error_page(c, vw, out, 503, MSG_NOT_RECEIVED_H,
		    MSG_TRY_LATER, "Retry-After: 60\r\n");
	e = upload_read(up, c->cfg, rq->content_type, len, rq->read, rq->io);
	if (e == MULTIPART_E_TRUNCATED)
		rv = error_page(c, vw, out, 400, MSG_NOT_RECEIVED_H,
		    MSG_INCOMPLETE, NULL);
	else if (e != MULTIPART_OK)
		rv = form_page(c, vw, out, 400, NULL,
		    page_msgs[MSG_UNREADABLE], NULL, NULL);
	else
		rv = handle_report(c, vw, out, &up->form, up);
	upload_free(up);
	free(up);
	return rv;
}

typedef int (*body_fn)(struct ctx *, struct view *, struct buf *, char *,
    size_t);

/* Checks the content headers, reads the body whole and hands it to fn;
 * wipes it after (it holds what a reporter wrote). With uploads, a
 * multipart body goes to handle_upload instead. */
static int
with_body(struct ctx *c, struct view *vw, const struct req *rq,
    struct buf *out, body_fn fn, int uploads)
{
	char boundary[MAX_BOUNDARY];
	size_t blen;
	int multi = uploads && multipart_boundary(rq->content_type, boundary,
	    &blen) != MULTIPART_E_TYPE;
	long len = content_length(rq->content_length, multi ? MAX_UPLOAD :
	    MAX_BODY);
	char *body;
	int rv;

	if (!multi && !is_urlencoded(rq->content_type))
		return error_page(c, vw, out, 415, MSG_NOT_RECEIVED_H,
		    MSG_BAD_TYPE, NULL);
	if (len == -1)
		return error_page(c, vw, out, 411, MSG_NOT_RECEIVED_H,
		    MSG_NO_LENGTH, NULL);
	if (len == -2)
		return error_page(c, vw, out, 413, MSG_NOT_RECEIVED_H,
		    MSG_TOO_LARGE, NULL);
	if (multi)
		return handle_upload(c, vw, rq, out, (size_t)len);
	if ((body = malloc((size_t)len + 1)) == NULL)
		return error_page(c, vw, out, 503, MSG_NOT_RECEIVED_H,
		    MSG_TRY_LATER, "Retry-After: 60\r\n");
	if (read_body(rq, body, (size_t)len) != 0)
		rv = error_page(c, vw, out, 400, MSG_NOT_RECEIVED_H,
		    MSG_INCOMPLETE, NULL);
	else
		rv = fn(c, vw, out, body, (size_t)len);
	sodium_memzero(body, (size_t)len + 1);	/* the report, in clear */
	free(body);
	return rv;
}


/* ---- Coming back with the receipt (issue 13) ---------------------- */

/* The value of a name sent exactly once, or NULL. */
static const char *
pair_get(const struct form *f, const char *name, size_t *len)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->pairs[i].name, name) != 0 ||
		    f->pairs[i].namelen != strlen(name))
			continue;
		if (v != NULL)
			return NULL;
		v = f->pairs[i].value;
		*len = f->pairs[i].valuelen;
	}
	return v;
}

/* The form's own "lang", when it is one the profile offers. */
static void
followup_lang(struct ctx *c, struct view *vw, const struct form *f)
{
	const char *s;
	size_t n;
	int l;

	if ((s = pair_get(f, "lang", &n)) != NULL && n <= MAX_LANG_CODE &&
	    (l = offered(c, s, n)) >= 0)
		view_set(c, vw, (enum lang)l, 1);
}

/* The page with the receipt field; hint (MSG_MAX: none) above it. */
static int
followup_page(struct ctx *c, struct view *vw, struct buf *out, int status,
    enum msg hint)
{
	struct buf content, h;
	int rv;

	snprintf(vw->here, sizeof(vw->here), "/followup?");
	buf_init(&content, MAX_PAGE);
	buf_init(&h, MAX_PAGE);
	if (hint != MSG_MAX) {
		buf_str(&h, "<div class=\"error-summary\" role=\"alert\"><p>");
		html_escape(&h, page_msg(vw->cat, hint),
		    strlen(page_msg(vw->cat, hint)));
		buf_str(&h, "</p></div>");
	}
	{
		const struct var v[] = {
			{ "hint", h.failed ? NULL : h.p, VAR_HTML },
			{ "lang", lang_code(vw->lang), VAR_TEXT },
		};
		render(c, vw, &content, PAGE_FOLLOWUP, v, 2);
	}
	rv = respond(c, vw, out, status, content.failed ? NULL : content.p,
	    status == 429 ? "Retry-After: 60\r\n" : NULL);
	buf_free(&content);
	buf_free(&h);
	return rv;
}

/* The days the reporter wrote, never what. */
static void
days_html(struct buf *b, const struct view *vw, const struct followup *f)
{
	size_t i;

	if (f->ndays == 0)
		return;
	buf_str(b, "<p>");
	html_escape(b, page_msg(vw->cat, MSG_WROTE_ON),
	    strlen(page_msg(vw->cat, MSG_WROTE_ON)));
	for (i = 0; i < f->ndays; i++) {
		buf_str(b, i == 0 ? " " : ", ");
		buf_str(b, f->days[i]);	/* YYYY-MM-DD, from a CHECK'd column */
	}
	buf_str(b, "</p>");
}

/* One reply: its day and its text, escaped (it came from a
 * workstation, but the page escapes whatever it did not build). */
static void
reply_html(void *ctx, const char *day, const char *text, size_t len)
{
	struct buf *b = ctx;

	buf_str(b, "<div class=\"reply\"><p class=\"day\">");
	buf_str(b, day);	/* YYYY-MM-DD: event_parse checked it */
	buf_str(b, "</p><p>");
	html_escape(b, text, len);
	buf_str(b, "</p></div>");
}

/* The replies the receipt's key opens, or "No answer yet". */
static int
replies_html(struct ctx *c, struct view *vw, struct buf *b,
    const struct followup *f, const unsigned char *pk,
    const unsigned char *sk)
{
	const char *none = page_msg(vw->cat, MSG_NO_ANSWER);
	size_t before = b->len;

	if (followup_replies(c->store, f, pk, sk, reply_html, b) != 0)
		return -1;
	if (b->len == before) {
		buf_str(b, "<p>");
		html_escape(b, none, strlen(none));
		buf_str(b, "</p>");
	}
	return 0;
}

static int
answers_page(struct ctx *c, struct view *vw, struct buf *out,
    const struct followup *f, const unsigned char *pk,
    const unsigned char *sk)
{
	char cap[FOLLOWUP_CAP_CHARS + 1];
	struct buf content, days, replies;
	int rv;

	followup_cap_make(c->secret, f->report_id, c->now() +
	    FOLLOWUP_CAP_SECONDS, cap);
	snprintf(vw->here, sizeof(vw->here), "/followup?");
	buf_init(&content, MAX_PAGE);
	buf_init(&days, MAX_PAGE);
	buf_init(&replies, MAX_PAGE);
	days_html(&days, vw, f);
	if (replies_html(c, vw, &replies, f, pk, sk) != 0)
		replies.failed = 1;
	{
		const struct var v[] = {
			{ "status", page_msg(vw->cat, (enum msg)
			    (MSG_STATUS_RECEIVED + f->coarse)), VAR_TEXT },
			{ "replies", replies.failed ? NULL : replies.p,
			    VAR_HTML },
			{ "days", days.failed ? NULL : days.p, VAR_HTML },
			{ "cap", cap, VAR_TEXT },
			{ "lang", lang_code(vw->lang), VAR_TEXT },
		};
		render(c, vw, &content, PAGE_ANSWERS, v, 5);
	}
	rv = respond(c, vw, out, 200, content.failed ? NULL : content.p,
	    NULL);
	buf_free(&replies);
	buf_free(&content);
	buf_free(&days);
	return rv;
}

/* Wrong receipts, counted by all workers together in this minute
 * (memory only: no time is stored). Past FOLLOWUP_MAX_FAILURES every
 * lookup waits for the next minute: guessing gets nowhere, and a
 * reporter is asked to wait a few minutes. */
static int
guessing_blocked(struct ctx *c)
{
	uint32_t minute = (uint32_t)(c->now() / 60);

	if (c->guess == NULL)
		return 0;
	if (__atomic_load_n(&c->guess->minute, __ATOMIC_SEQ_CST) != minute) {
		__atomic_store_n(&c->guess->failures, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&c->guess->minute, minute, __ATOMIC_SEQ_CST);
	}
	return __atomic_load_n(&c->guess->failures, __ATOMIC_SEQ_CST) >=
	    FOLLOWUP_MAX_FAILURES;
}

static void
guess_failed(struct ctx *c)
{
	if (c->guess != NULL)
		__atomic_add_fetch(&c->guess->failures, 1, __ATOMIC_SEQ_CST);
}

/* A typed receipt: the check character first, then the lookup. Known
 * and unknown receipts run the same derivation and the same queries. */
static int
lookup(struct ctx *c, struct view *vw, struct buf *out, const char *typed,
    size_t n)
{
	unsigned char id[RECEIPT_LOOKUP], pk[RECEIPT_KEY], sk[RECEIPT_KEY];
	struct followup f;
	struct receipt r;
	int rv;

	if (guessing_blocked(c))
		return followup_page(c, vw, out, 429, MSG_TOO_MANY_TRIES);
	if (receipt_parse(typed, n, &r) != RECEIPT_OK) {
		guess_failed(c);
		return followup_page(c, vw, out, 200, MSG_RECEIPT_TYPO);
	}
	/* The secret half opens the replies; it lives only until the
	 * page is built. */
	rv = receipt_derive(&r, id, pk, sk);
	sodium_memzero(&r, sizeof(r));
	if (rv != 0 || followup_find(c->store, id, &f) != 0)
		rv = error_page(c, vw, out, 503, MSG_NOT_FOUND_H,
		    MSG_TRY_LATER, "Retry-After: 60\r\n");
	else if (f.report_id == 0) {
		guess_failed(c);
		rv = followup_page(c, vw, out, 200, MSG_RECEIPT_UNKNOWN);
	} else
		rv = answers_page(c, vw, out, &f, pk, sk);
	sodium_memzero(sk, sizeof(sk));
	return rv;
}

static int
followup_form(struct ctx *c, struct view *vw, struct buf *out, char *body,
    size_t len)
{
	const char *typed;
	struct form f;
	size_t n;
	int rv;

	if (form_parse(body, len, &f) != FORM_OK)
		return followup_page(c, vw, out, 400, MSG_UNREADABLE);
	followup_lang(c, vw, &f);
	if ((typed = pair_get(&f, "receipt", &n)) == NULL)
		rv = followup_page(c, vw, out, 400, MSG_UNREADABLE);
	else
		rv = lookup(c, vw, out, typed, n);
	form_free(&f);
	return rv;
}

/* Text a reporter added: not empty, valid UTF-8 without NUL, at most
 * FOLLOWUP_MAX_CHARS characters. */
static int
message_ok(const char *text, size_t n)
{
	size_t count;

	return text != NULL && n > 0 && memchr(text, '\0', n) == NULL &&
	    utf8_valid((const unsigned char *)text, n, &count) &&
	    count <= FOLLOWUP_MAX_CHARS;
}

/* {"v":1,"kind":"message","lang":"xx","text":"..."}, malloc'd. */
static char *
message_record(const char *text, size_t n, const char *lang)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:s%}", "v", 1, "kind",
	    "message", "lang", lang, "text", text, n);
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Seals a message like a report, bound to "<ref>/message"
 * (docs/FORMATS.md section 14), and stores it. 0, 1 (report gone), -1. */
static int
store_message(struct ctx *c, long long id, const char *text, size_t n,
    const char *lang)
{
	char ref[REF_LEN + 1], ad[REF_LEN + 16], day[11], *rec;
	unsigned char *env = NULL;
	size_t envlen;
	long long mid;
	int rv = -1;

	if (store_ref_of(c->store, id, ref) != 0)
		return 1;
	snprintf(ad, sizeof(ad), "%s/message", ref);
	day_utc((time_t)c->now(), day);
	if ((rec = message_record(text, n, lang)) == NULL)
		return -1;
	if ((c->epoch != NULL ? envelope_seal_epoch(c->epoch, &c->rcpt, ad,
	    (const unsigned char *)rec, strlen(rec), &env, &envlen) :
	    envelope_seal(&c->rcpt, ad, (const unsigned char *)rec,
	    strlen(rec), &env, &envlen)) == 0)
		rv = followup_add(c->store, id, day, env, envlen, &mid);
	record_free_string(rec);
	free(env);
	return rv;
}

static int
followup_add_form(struct ctx *c, struct view *vw, struct buf *out,
    char *body, size_t len)
{
	const char *cap, *text;
	size_t capn = 0, n = 0;
	struct form f;
	long long id;
	int rv;

	if (form_parse(body, len, &f) != FORM_OK)
		return followup_page(c, vw, out, 400, MSG_UNREADABLE);
	followup_lang(c, vw, &f);
	cap = pair_get(&f, "cap", &capn);
	text = pair_get(&f, "message", &n);
	id = cap != NULL ? followup_cap_check(c->secret, cap, capn, c->now()) :
	    0;
	if (id != 0 && !message_ok(text, n))
		rv = error_page(c, vw, out, 400, MSG_NOT_RECEIVED_H,
		    text != NULL && n > 0 ? MSG_TOO_LARGE : MSG_MESSAGE_EMPTY,
		    NULL);
	else if (id != 0 && (rv = store_message(c, id, text, n,
	    lang_code(vw->lang))) <= 0)
		rv = rv == 0 ? error_page(c, vw, out, 200, MSG_ADDED_H,
		    MSG_ADDED, NULL) : error_page(c, vw, out, 503,
		    MSG_NOT_RECEIVED_H, MSG_TRY_LATER, "Retry-After: 60\r\n");
	else	/* no valid capability, or its report went meanwhile */
		rv = followup_page(c, vw, out, 400, MSG_CAP_EXPIRED);
	form_free(&f);
	return rv;
}

int
serve(struct ctx *c, const struct req *rq, struct buf *out)
{
	const char *m = rq->method ? rq->method : "";
	const char *p = rq->path ? rq->path : "";
	int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	struct view vw;

	view_init(c, &vw, rq);
	if (strcmp(p, "/") == 0 || strcmp(p, "/privacy") == 0) {
		if (!get)
			return error_page(c, &vw, out, 405, MSG_NOT_ALLOWED_H,
			    MSG_READ_ONLY, "Allow: GET, HEAD\r\n");
		if (p[1] == '\0')
			return form_page(c, &vw, out, 200, NULL, NULL, NULL,
			    NULL);
		return privacy_page(c, &vw, out);
	}
	if (strcmp(p, "/submit") == 0) {
		if (strcmp(m, "POST") != 0)
			return error_page(c, &vw, out, 405, MSG_NOT_ALLOWED_H,
			    MSG_USE_FORM, "Allow: POST\r\n");
		return with_body(c, &vw, rq, out, handle_form, 1);
	}
	if (strcmp(p, "/followup") == 0) {
		snprintf(vw.here, sizeof(vw.here), "/followup?");
		if (get)
			return followup_page(c, &vw, out, 200, MSG_MAX);
		if (strcmp(m, "POST") != 0)
			return error_page(c, &vw, out, 405, MSG_NOT_ALLOWED_H,
			    MSG_READ_ONLY, "Allow: GET, HEAD, POST\r\n");
		return with_body(c, &vw, rq, out, followup_form, 0);
	}
	if (strcmp(p, "/followup/add") == 0) {
		if (strcmp(m, "POST") != 0)
			return error_page(c, &vw, out, 405, MSG_NOT_ALLOWED_H,
			    MSG_USE_FORM, "Allow: POST\r\n");
		return with_body(c, &vw, rq, out, followup_add_form, 0);
	}
	return error_page(c, &vw, out, 404, MSG_NOT_FOUND_H, MSG_NOT_FOUND,
	    NULL);
}
