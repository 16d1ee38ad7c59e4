/*
 * application/x-www-form-urlencoded parsing (WHATWG URL standard, 5.1)
 * and validation against the field table. Stricter than browsers need:
 * a malformed escape is an error rather than passed through literally,
 * so that what we store is exactly what the reporter typed.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"
#include "token.h"
#include "utf8.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes src[0..n) into dst, NUL-terminates it; returns the decoded
 * length or -1 on a bad escape. dst has room for n + 1 bytes. */
static long
decode(const char *src, size_t n, char *dst)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (src[i] == '+')
			dst[o++] = ' ';
		else if (src[i] != '%')
			dst[o++] = src[i];
		else {
			if (n - i < 3)
				return -1;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	dst[o] = '\0';
	return (long)o;
}

static enum form_err
parse_pair(const char *seg, size_t n, char **out, struct form_pair *p)
{
	const char *eq = memchr(seg, '=', n);
	size_t nlen = eq ? (size_t)(eq - seg) : n;
	size_t vlen = eq ? n - nlen - 1 : 0;
	long d;

	p->name = *out;
	if ((d = decode(seg, nlen, p->name)) < 0)
		return FORM_E_ENCODING;
	p->namelen = (size_t)d;
	if (p->namelen == 0 || p->namelen > MAX_FIELD_NAME)
		return FORM_E_NAME;
	p->value = p->name + p->namelen + 1;
	if ((d = decode(eq ? eq + 1 : "", vlen, p->value)) < 0)
		return FORM_E_ENCODING;
	p->valuelen = (size_t)d;
	if (p->valuelen > MAX_FIELD_BYTES)
		return FORM_E_VALUE;
	*out = p->value + p->valuelen + 1;
	return FORM_OK;
}

enum form_err
form_parse(const char *body, size_t len, struct form *f)
{
	const char *seg = body, *end = body + len, *amp;
	enum form_err e = FORM_OK;
	char *out;

	memset(f, 0, sizeof(*f));
	/* Decoding never grows a segment. Each pair needs two NULs: its
	 * '=' and '&' make room for them, except a pair without '=' (one
	 * byte more) and the last pair (one more). */
	f->bufsize = len + MAX_FORM_PAIRS + 2;
	if ((f->buf = malloc(f->bufsize)) == NULL)
		return FORM_E_NOMEM;
	out = f->buf;
	while (seg < end) {
		amp = memchr(seg, '&', (size_t)(end - seg));
		if (amp == NULL)
			amp = end;
		if (amp == seg) {	/* empty sequences are skipped */
			seg++;
			continue;
		}
		if (f->n == MAX_FORM_PAIRS) {
			e = FORM_E_TOO_MANY;
			break;
		}
		e = parse_pair(seg, (size_t)(amp - seg), &out, &f->pairs[f->n]);
		if (e != FORM_OK)
			break;
		f->n++;
		seg = amp + 1;
	}
	if (e != FORM_OK)
		form_free(f);
	return e;
}

void
form_free(struct form *f)
{
	if (f->buf != NULL)
		sodium_memzero(f->buf, f->bufsize);
	free(f->buf);
	f->buf = NULL;
	f->bufsize = 0;
	f->n = 0;
}

const char *
form_strerror(enum form_err e)
{
	switch (e) {
	case FORM_OK:		return "ok";
	case FORM_E_ENCODING:	return "bad percent-encoding";
	case FORM_E_TOO_MANY:	return "too many fields";
	case FORM_E_NAME:	return "bad field name";
	case FORM_E_VALUE:	return "field value too long";
	case FORM_E_NOMEM:	return "out of memory";
	}
	return "unknown error";
}

/* Turns CRLF into LF in place (browsers send textarea line breaks as
 * CRLF but count them as one character for maxlength). */
static size_t
crlf_to_lf(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++)
		if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
			s[o++] = s[i];
	s[o] = '\0';
	return o;
}

/* Control characters are never typed by a person; they are refused so
 * that nothing downstream (JSON, a terminal, a CSV) meets them. Line
 * breaks and tabs are allowed in multi-line text only. */
static int
chars_ok(const char *s, size_t n, int multiline, size_t *count)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, cnt = 0;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_next(u + i, n - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			if (!multiline || (cp != '\n' && cp != '\t'))
				return 0;
		}
		i += k;
		cnt++;
	}
	*count = cnt;
	return 1;
}

static enum field_err
check_value(const struct field *fd, char *v, size_t *len)
{
	size_t count;

	if (fd->kind == FIELD_TEXT)
		*len = crlf_to_lf(v, *len);
	if (!chars_ok(v, *len, fd->kind == FIELD_TEXT, &count))
		return FE_CHARS;
	if (fd->kind == FIELD_CHOICE)
		return *len == 0 || field_choice_label(fd, v) ? FE_NONE :
		    FE_CHOICE;
	if (count > fd->max)
		return FE_TOO_LONG;
	return FE_NONE;
}

/* The names the form carries besides the fields get the same checks as
 * the fields (chars_ok: valid UTF-8, no control characters, NUL
 * included) and a length in bytes: a token is exactly TOKEN_CHARS.
 * Nothing reads them with strlen() after this. */
enum { H_TOKEN, H_LANG, H_HONEYPOT, H_CONFIRM, H_MAX };

static const struct hidden {
	const char	*name;
	size_t		 min, max;
} hiddens[H_MAX] = {
	[H_TOKEN] = { FORM_TOKEN, TOKEN_CHARS, TOKEN_CHARS },
	[H_LANG] = { FORM_LANG, 1, MAX_LANG_CODE },
	[H_HONEYPOT] = { FORM_HONEYPOT, 0, MAX_FIELD_BYTES },
	/* the "send as it is" button (lib/ask.h) */
	[H_CONFIRM] = { FORM_CONFIRM, 1, MAX_FIELD_NAME },
};

static int
hidden_ok(const struct hidden *h, const struct form_pair *p)
{
	size_t count;

	return p->valuelen >= h->min && p->valuelen <= h->max &&
	    chars_ok(p->value, p->valuelen, 0, &count);
}

/* Returns 1 if the pair was a hidden name, 0 if not. A token or lang
 * that fails its checks is dropped and the report refused; a honeypot
 * with any byte in it, valid or not, marks a bot. */
static int
check_extra(struct report *r, const struct form_pair *p, unsigned *seen)
{
	size_t i;

	for (i = 0; i < H_MAX; i++)
		if (strcmp(p->name, hiddens[i].name) == 0)
			break;
	if (i == H_MAX)
		return 0;
	if (*seen & 1u << i) {
		r->general = FG_DUPLICATE;
		return 1;
	}
	*seen |= 1u << i;
	if (i == H_HONEYPOT) {
		r->bot = p->valuelen > 0;
		return 1;
	}
	if (!hidden_ok(&hiddens[i], p)) {
		r->general = FG_HIDDEN;
		return 1;
	}
	if (i == H_TOKEN)
		r->token = p->value;
	else if (i == H_LANG)
		r->lang = p->value;
	else
		r->confirm = p->value;
	return 1;
}

int
form_check(struct form *f, struct report *r)
{
	struct form_pair *p;
	size_t i;
	unsigned seen = 0;
	int k;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < f->n; i++) {
		p = &f->pairs[i];
		if (strlen(p->name) != p->namelen)
			k = -1;		/* a NUL inside a name */
		else if (check_extra(r, p, &seen))
			continue;
		else
			k = field_index(p->name);
		if (k < 0) {
			r->general = FG_UNKNOWN;
			continue;
		}
		if (r->value[k] != NULL) {
			r->general = FG_DUPLICATE;
			continue;
		}
		r->value[k] = p->value;
		r->len[k] = p->valuelen;
		r->err[k] = check_value(&fields[k], p->value, &r->len[k]);
	}
	for (i = 0; i < nfields; i++) {
		if (r->err[i] == FE_NONE && fields[i].required &&
		    (r->value[i] == NULL || r->len[i] == 0 ||
		    strspn(r->value[i], " \t\n") == r->len[i]))
			r->err[i] = FE_REQUIRED;
		if (r->err[i] != FE_NONE)
			r->nerr++;
	}
	return r->nerr == 0 && r->general == FG_NONE && !r->bot ? 0 : -1;
}

const char *
form_field_message(enum field_err e)
{
	switch (e) {
	case FE_NONE:		return "";
	case FE_REQUIRED:	return "Please describe what you saw or heard.";
	case FE_TOO_LONG:	return "This is too long. Please shorten it.";
	case FE_CHOICE:		return "Please choose one of the options.";
	case FE_CHARS:		return "This contains characters that are not "
				    "allowed. Please retype it.";
	}
	return "";
}
