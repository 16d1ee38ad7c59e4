/*
 * Routing and the report intake. The order in handle_submit is the
 * promise: a reporter is sent to "received" only after store_insert
 * returned, that is after the COMMIT; any failure before answers 503.
 * Nothing here reads the client's address, User-Agent, cookies or
 * Referer; nginx does not even pass them (nginx/tipline-local.conf.in).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record.h"
#include "serve.h"

#define MAX_PAGE (1024 * 1024)

static const char *const common_headers =
    "Content-Type: text/html; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n"
    "Content-Security-Policy: default-src 'none'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'\r\n";

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
	case 503: return "Service Unavailable";
	default:  return "Internal Server Error";
	}
}

/* Wraps content in the layout and writes headers and body to out. */
static int
respond(struct ctx *c, struct buf *out, int status, const char *title,
    const char *content, const char *extra_headers)
{
	struct buf body;
	char line[64];
	const struct var v[] = {
		{ "lang", "en", VAR_TEXT },
		{ "title", title, VAR_TEXT },
		{ "content", content, VAR_HTML },
	};

	buf_init(&body, MAX_PAGE);
	page_render(&body, c->tmpl.text[PAGE_LAYOUT], v, 3);
	if (body.failed) {
		buf_free(&body);
		status = 500;
		buf_init(&body, 0);
		buf_str(&body, "<!doctype html><title>Error</title>"
		    "<p>Internal error.</p>");
	}
	snprintf(line, sizeof(line), "Status: %d %s\r\n", status,
	    status_text(status));
	buf_str(out, line);
	buf_str(out, common_headers);
	if (extra_headers != NULL)
		buf_str(out, extra_headers);
	buf_str(out, "\r\n");
	buf_add(out, body.p, body.len);
	buf_free(&body);
	return status;
}

static int
error_page(struct ctx *c, struct buf *out, int status, const char *heading,
    const char *message, const char *extra_headers)
{
	struct buf content;
	const struct var v[] = {
		{ "heading", heading, VAR_TEXT },
		{ "message", message, VAR_TEXT },
	};
	int rv;

	buf_init(&content, MAX_PAGE);
	page_render(&content, c->tmpl.text[PAGE_ERROR], v, 2);
	rv = respond(c, out, status, heading, content.p, extra_headers);
	buf_free(&content);
	return rv;
}

/* The form, empty (r NULL) or as the reporter sent it, with errors. */
static int
form_page(struct ctx *c, struct buf *out, int status,
    const struct report *r, const char *general, const char *token)
{
	struct buf fieldsb, summary, content;
	char fresh[TOKEN_CHARS + 1];
	int rv;

	if (token == NULL) {
		token_make(c->secret, c->now(), fresh);
		token = fresh;
	}
	buf_init(&fieldsb, MAX_PAGE);
	buf_init(&summary, MAX_PAGE);
	buf_init(&content, MAX_PAGE);
	page_fields(&fieldsb, r);
	page_error_summary(&summary, r, general);
	{
		const struct var v[] = {
			{ "errors", summary.p, VAR_HTML },
			{ "fields", fieldsb.p, VAR_HTML },
			{ "token", token, VAR_TEXT },
		};
		page_render(&content, c->tmpl.text[PAGE_FORM], v, 3);
	}
	rv = respond(c, out, status, status == 200 ? "Report trafficking or "
	    "smuggling" : "Error: report trafficking or smuggling",
	    content.failed ? NULL : content.p, NULL);
	buf_free(&fieldsb);
	buf_free(&summary);
	buf_free(&content);
	return rv;
}

static int
redirect_received(struct buf *out, const char *ref)
{
	buf_str(out, "Status: 303 See Other\r\nLocation: /received?ref=");
	buf_str(out, ref);	/* ref_valid: only [A-Z0-9-] */
	buf_str(out, "\r\nCache-Control: no-store\r\n"
	    "Content-Length: 0\r\n\r\n");
	return 303;
}

static int
received_page(struct ctx *c, const struct req *rq, struct buf *out)
{
	struct buf content;
	const char *q = rq->query ? rq->query : "";
	int rv;

	if (strncmp(q, "ref=", 4) != 0 || !ref_valid(q + 4, strlen(q + 4)))
		return error_page(c, out, 404, "Page not found",
		    "This page does not exist. If you sent a report, its "
		    "reference was shown on the page after sending.", NULL);
	buf_init(&content, MAX_PAGE);
	{
		const struct var v[] = { { "ref", q + 4, VAR_TEXT } };
		page_render(&content, c->tmpl.text[PAGE_RECEIVED], v, 1);
	}
	rv = respond(c, out, 200, "Report received", content.p, NULL);
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
		return "The form was sent very quickly. Please check what you "
		    "wrote and send it again.";
	case TOKEN_E_EXPIRED:
		return "The form was open for a long time and has expired. "
		    "What you wrote is kept below. Please send it again.";
	default:
		return "The form could not be verified. What you wrote is "
		    "kept below. Please send it again.";
	}
}

/* Seals the record and stores it, trying another reference on the
 * (unlikely) collision. */
static enum store_res
seal_and_store(struct ctx *c, const char *rec, const unsigned char *nonce,
    char ref[REF_LEN + 1])
{
	char day[11], dup[REF_LEN + 1];
	unsigned char *env;
	size_t envlen;
	enum store_res res = STORE_ERR;
	int tries;

	day_utc((time_t)c->now(), day);
	for (tries = 0; tries < 5; tries++) {
		ref_make(ref);
		if (envelope_seal(&c->rcpt, ref, (const unsigned char *)rec,
		    strlen(rec), &env, &envlen) != 0)
			return STORE_ERR;
		res = store_insert(c->store, nonce, ref, day, env, envlen, dup);
		free(env);
		if (res == STORE_DUP)
			memcpy(ref, dup, sizeof(dup));
		if (res != STORE_REF_TAKEN)
			break;
	}
	return res;
}

static const char *
pick_lang(const char *l)
{
	static const char *const langs[] = { "de", "fr", "it", "en" };
	size_t i;

	for (i = 0; l != NULL && i < 4; i++)
		if (strcmp(l, langs[i]) == 0)
			return langs[i];
	return "en";
}

static int
accept_report(struct ctx *c, struct buf *out, const struct report *r,
    const unsigned char *nonce)
{
	char ref[REF_LEN + 1], *rec;
	enum store_res res;

	if ((rec = record_build(r, pick_lang(r->lang))) == NULL)
		return error_page(c, out, 500, "Not received", "Your report "
		    "was not received because of an error on our side. "
		    "Please go back and try again.", NULL);
	res = seal_and_store(c, rec, nonce, ref);
	record_free_string(rec);
	if (res == STORE_OK || res == STORE_DUP)
		return redirect_received(out, ref);
	fprintf(stderr, "tipline-fcgi: report not stored: %s\n",
	    res == STORE_BUSY ? "database busy" : res == STORE_FULL ?
	    "disk full" : store_errmsg(c->store));
	return error_page(c, out, 503, "Not received", "Your report was NOT "
	    "received: our system is busy or has a problem. Please go back "
	    "(what you wrote should still be there) and send it again in a "
	    "few minutes.", "Retry-After: 60\r\n");
}

static int
handle_form(struct ctx *c, struct buf *out, char *body, size_t len)
{
	unsigned char nonce[TOKEN_NONCE];
	struct report r;
	struct form f;
	enum token_err te = TOKEN_E_FORMAT;
	const char *general;
	int rv;

	if (form_parse(body, len, &f) != FORM_OK)
		return form_page(c, out, 400, NULL, "What was sent could not "
		    "be read. Please fill in the form again.", NULL);
	form_check(&f, &r);
	if (r.honeypot != NULL && r.honeypot[0] != '\0') {
		/* A bot: it gets what looks like success, and no row. */
		char ref[REF_LEN + 1];

		ref_make(ref);
		form_free(&f);
		return redirect_received(out, ref);
	}
	if (r.token != NULL)
		te = token_check(c->secret, r.token, strlen(r.token), c->now(),
		    (uint64_t)c->cfg->token_min_age,
		    (uint64_t)c->cfg->token_max_age, nonce);
	general = token_message(te);
	if (general == NULL && r.general != FG_NONE)
		general = "The form contained something we did not expect. "
		    "Please check it and send it again.";
	if (general != NULL || r.nerr > 0)
		rv = form_page(c, out, 400, &r, general, te == TOKEN_OK ?
		    r.token : NULL);
	else
		rv = accept_report(c, out, &r, nonce);
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

/* Content-Length as a number within MAX_BODY; -1 missing or malformed,
 * -2 too large. */
static long
content_length(const char *s)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v > MAX_BODY)
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

static int
handle_submit(struct ctx *c, const struct req *rq, struct buf *out)
{
	long len = content_length(rq->content_length);
	char *body;
	int rv;

	if (!is_urlencoded(rq->content_type))
		return error_page(c, out, 415, "Not received", "The form was "
		    "sent in a way we do not accept. Please use the form on "
		    "this site.", NULL);
	if (len == -1)
		return error_page(c, out, 411, "Not received", "The form was "
		    "sent without its length. Please use the form on this "
		    "site.", NULL);
	if (len == -2)
		return error_page(c, out, 413, "Not received", "What you sent "
		    "is too long. Please shorten the description and send "
		    "it again.", NULL);
	if ((body = malloc((size_t)len + 1)) == NULL)
		return error_page(c, out, 503, "Not received", "Please try "
		    "again in a few minutes.", "Retry-After: 60\r\n");
	if (read_body(rq, body, (size_t)len) != 0)
		rv = error_page(c, out, 400, "Not received", "The form arrived "
		    "incomplete. Please go back and send it again.", NULL);
	else
		rv = handle_form(c, out, body, (size_t)len);
	free(body);
	return rv;
}

int
serve(struct ctx *c, const struct req *rq, struct buf *out)
{
	const char *m = rq->method ? rq->method : "";
	const char *p = rq->path ? rq->path : "";
	int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;

	if (strcmp(p, "/") == 0 || strcmp(p, "/received") == 0) {
		if (!get)
			return error_page(c, out, 405, "Not allowed", "This "
			    "page can only be read.", "Allow: GET, HEAD\r\n");
		return p[1] == '\0' ? form_page(c, out, 200, NULL, NULL, NULL) :
		    received_page(c, rq, out);
	}
	if (strcmp(p, "/submit") == 0) {
		if (strcmp(m, "POST") != 0)
			return error_page(c, out, 405, "Not allowed", "Please "
			    "use the form to send a report.", "Allow: POST\r\n");
		return handle_submit(c, rq, out);
	}
	return error_page(c, out, 404, "Page not found", "This page does not "
	    "exist.", NULL);
}
