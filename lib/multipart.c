/*
 * multipart/form-data (RFC 7578) as a state machine fed in pieces.
 * Stricter than RFC 2046 allows, as browsers need nothing more: no
 * preamble, no transport padding after a boundary, header lines ending
 * in CRLF. A boundary's characters (bchars, RFC 2046 5.1.1) never hold
 * CR, so the delimiter "\r\n--boundary" can be found byte by byte
 * without backtracking: on a mismatch the bytes held back were content.
 */
#include <string.h>
#include <strings.h>

#include "multipart.h"
#include "utf8.h"

static int
is_bchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c) != NULL;
}

static const char *
skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* One parameter "; name=value" or "; name="value"" at *sp (RFC 7578
 * 4.2: browsers percent-encode '"', CR and LF in quoted values, so a
 * quoted value ends at the next '"'; a backslash is a character). */
static int
next_param(const char **sp, const char *end, const char **name,
    size_t *namelen, const char **val, size_t *vallen)
{
	const char *s = skip_ws(*sp, end);

	if (s == end || *s++ != ';')
		return -1;
	s = skip_ws(s, end);
	*name = s;
	while (s < end && *s != '=' && *s != ';' && *s != ' ' && *s != '\t')
		s++;
	*namelen = (size_t)(s - *name);
	s = skip_ws(s, end);
	if (*namelen == 0 || s == end || *s++ != '=')
		return -1;
	s = skip_ws(s, end);
	if (s < end && *s == '"') {
		*val = ++s;
		while (s < end && *s != '"')
			s++;
		if (s == end)
			return -1;
		*vallen = (size_t)(s++ - *val);
	} else {
		*val = s;
		while (s < end && *s != ';' && *s != ' ' && *s != '\t')
			s++;
		*vallen = (size_t)(s - *val);
	}
	*sp = skip_ws(s, end);
	return 0;
}

static int
is_word(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

enum multipart_err
multipart_boundary(const char *ctype, char *out, size_t *outlen)
{
	const char *s, *end, *name, *val;
	size_t namelen, vallen, i;
	int found = 0;

	if (ctype == NULL)
		return MULTIPART_E_TYPE;
	s = ctype;
	end = s + strlen(s);
	if (strncasecmp(s, "multipart/form-data", 19) != 0)
		return MULTIPART_E_TYPE;
	s += 19;
	if (s < end && *s != ';' && *s != ' ' && *s != '\t')
		return MULTIPART_E_TYPE;
	while (skip_ws(s, end) < end) {
		if (next_param(&s, end, &name, &namelen, &val, &vallen) != 0)
			return MULTIPART_E_BOUNDARY;
		if (!is_word(name, namelen, "boundary"))
			continue;
		if (found++ || vallen == 0 || vallen > MAX_BOUNDARY ||
		    val[vallen - 1] == ' ')
			return MULTIPART_E_BOUNDARY;
		for (i = 0; i < vallen; i++)
			if (!is_bchar((unsigned char)val[i]))
				return MULTIPART_E_BOUNDARY;
		memcpy(out, val, vallen);
		*outlen = vallen;
	}
	return found ? MULTIPART_OK : MULTIPART_E_BOUNDARY;
}

/* form-data; name="..."[; filename="..."]; other parameters ignored. */
static enum multipart_err
disposition(const char *s, const char *end, struct multipart_part *p)
{
	const char *name, *val;
	size_t namelen, vallen;
	int seen_name = 0;

	if (end - s < 9 || strncasecmp(s, "form-data", 9) != 0)
		return MULTIPART_E_HEADER;
	s += 9;
	while (skip_ws(s, end) < end) {
		if (next_param(&s, end, &name, &namelen, &val, &vallen) != 0 ||
		    memchr(val, '\0', vallen) != NULL)
			return MULTIPART_E_HEADER;
		if (is_word(name, namelen, "name")) {
			if (seen_name++ || vallen == 0 ||
			    vallen > MAX_FIELD_NAME)
				return MULTIPART_E_HEADER;
			memcpy(p->name, val, vallen);
			p->name[vallen] = '\0';
			p->namelen = vallen;
		} else if (is_word(name, namelen, "filename")) {
			if (p->is_file++ || vallen > MAX_FILENAME)
				return MULTIPART_E_HEADER;
			memcpy(p->filename, val, vallen);
			p->filename[vallen] = '\0';
			p->filenamelen = vallen;
		}
	}
	return seen_name ? MULTIPART_OK : MULTIPART_E_HEADER;
}

enum multipart_err
multipart_headers(const char *b, size_t n, struct multipart_part *p)
{
	const char *end = b + n, *eol, *colon;
	int seen = 0;
	enum multipart_err e;

	while (b < end) {
		eol = memchr(b, '\r', (size_t)(end - b));
		if (eol == NULL || end - eol < 2 || eol[1] != '\n' ||
		    memchr(b, '\n', (size_t)(eol - b)) != NULL)
			return MULTIPART_E_HEADER;
		colon = memchr(b, ':', (size_t)(eol - b));
		/* No folded lines (RFC 7230 3.2.4), no empty names. */
		if (colon == NULL || colon == b || *b == ' ' || *b == '\t')
			return MULTIPART_E_HEADER;
		if (is_word(b, (size_t)(colon - b), "content-disposition")) {
			if (seen++)
				return MULTIPART_E_HEADER;
			e = disposition(skip_ws(colon + 1, eol), eol, p);
			if (e != MULTIPART_OK)
				return e;
		}
		b = eol + 2;
	}
	return seen ? MULTIPART_OK : MULTIPART_E_HEADER;
}

const char *
multipart_strerror(enum multipart_err e)
{
	switch (e) {
	case MULTIPART_OK:		return "ok";
	case MULTIPART_E_TYPE:		return "not multipart/form-data";
	case MULTIPART_E_BOUNDARY:	return "bad or missing boundary";
	case MULTIPART_E_SYNTAX:	return "malformed body";
	case MULTIPART_E_HEADER_SIZE:	return "part header too long";
	case MULTIPART_E_HEADER:	return "malformed part header";
	case MULTIPART_E_TOO_MANY:	return "too many parts";
	case MULTIPART_E_FIELD_SIZE:	return "field too long";
	case MULTIPART_E_TRUNCATED:	return "body cut short";
	case MULTIPART_E_ABORTED:	return "stopped";
	}
	return "unknown error";
}

enum multipart_err
multipart_init(struct multipart *m, const char *ctype,
    const struct multipart_limits *lim, const struct multipart_handler *h)
{
	enum multipart_err e;
	size_t blen;

	memset(m, 0, sizeof(*m));
	m->h = *h;
	m->lim.parts = MAX_PARTS;
	m->lim.field_bytes = MAX_FIELD_BYTES;
	m->lim.file_bytes = MAX_FILE_BYTES;
	if (lim != NULL) {
		m->lim = *lim;
		if (m->lim.parts > MAX_PARTS)
			m->lim.parts = MAX_PARTS;
	}
	memcpy(m->delim, "\r\n--", 4);
	if ((e = multipart_boundary(ctype, m->delim + 4, &blen)) != 0) {
		m->state = MP_FAILED;
		return m->err = e;
	}
	m->dlen = 4 + blen;
	/* The body starts with the first delimiter without its CRLF. */
	m->match = 2;
	m->state = MP_FIRST;
	return MULTIPART_OK;
}

static enum multipart_err
fail(struct multipart *m, enum multipart_err e)
{
	m->state = MP_FAILED;
	return m->err = e;
}

/* Content bytes of the current part. A file's content is passed on up
 * to its limit exactly, however the body was split, and dropped after. */
static enum multipart_err
content(struct multipart *m, const unsigned char *p, size_t n)
{
	struct multipart_part *pt = &m->part;
	uint64_t room;

	if (n == 0)
		return MULTIPART_OK;
	if (!pt->is_file) {
		pt->size += n;
		if (pt->size > m->lim.field_bytes)
			return fail(m, MULTIPART_E_FIELD_SIZE);
	} else {
		room = pt->size < m->lim.file_bytes ?
		    m->lim.file_bytes - pt->size : 0;
		pt->size += n;
		if (n > room) {
			pt->too_large = 1;
			n = (size_t)room;
		}
		if (n == 0)
			return MULTIPART_OK;
	}
	if (m->h.data != NULL && m->h.data(m->h.ctx, pt, p, n) != 0)
		return fail(m, MULTIPART_E_ABORTED);
	return MULTIPART_OK;
}

/* A header block is complete: the part begins. */
static enum multipart_err
begin_part(struct multipart *m)
{
	enum multipart_err e;

	if (m->nparts == m->lim.parts)
		return fail(m, MULTIPART_E_TOO_MANY);
	memset(&m->part, 0, sizeof(m->part));
	m->part.index = m->nparts++;
	/* Without the empty line's CRLF, each line ends in CRLF. */
	e = multipart_headers(m->hdr, m->nhdr - 2, &m->part);
	if (e != MULTIPART_OK)
		return fail(m, e);
	if (m->h.begin != NULL && m->h.begin(m->h.ctx, &m->part) != 0)
		return fail(m, MULTIPART_E_ABORTED);
	m->state = MP_DATA;
	m->match = 0;
	return MULTIPART_OK;
}

static enum multipart_err
header_byte(struct multipart *m, unsigned char c)
{
	if (m->nhdr == sizeof(m->hdr))
		return fail(m, MULTIPART_E_HEADER_SIZE);
	m->hdr[m->nhdr++] = (char)c;
	/* The block ends with an empty line: "\r\n" alone, or after a line. */
	if ((m->nhdr == 2 && memcmp(m->hdr, "\r\n", 2) == 0) ||
	    (m->nhdr >= 4 && memcmp(m->hdr + m->nhdr - 4, "\r\n\r\n", 4) == 0))
		return begin_part(m);
	return MULTIPART_OK;
}

/* The two bytes after a delimiter: CRLF, a part follows; "--", the end. */
static enum multipart_err
after_byte(struct multipart *m, unsigned char c)
{
	m->after[m->nafter++] = (char)c;
	if (m->nafter < 2)
		return MULTIPART_OK;
	m->nafter = 0;
	if (memcmp(m->after, "\r\n", 2) == 0) {
		m->state = MP_HEADER;
		m->nhdr = 0;
	} else if (memcmp(m->after, "--", 2) == 0)
		m->state = MP_DONE;	/* the epilogue is ignored */
	else
		return fail(m, MULTIPART_E_SYNTAX);
	return MULTIPART_OK;
}

/* The delimiter has been matched in full. */
static enum multipart_err
delimiter(struct multipart *m)
{
	int first = m->state == MP_FIRST;

	m->match = 0;
	m->state = MP_AFTER;
	if (!first && m->h.end != NULL && m->h.end(m->h.ctx, &m->part) != 0)
		return fail(m, MULTIPART_E_ABORTED);
	return MULTIPART_OK;
}

/* Content up to the next delimiter, passed on in runs; returns the
 * number of bytes of p used (they end at a delimiter or at n). */
static size_t
data_run(struct multipart *m, const unsigned char *p, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n && m->state == MP_DATA; i++) {
		if ((char)p[i] == m->delim[m->match]) {
			if (m->match == 0 && content(m, p + run, i - run))
				return n;
			if (++m->match == m->dlen && delimiter(m))
				return n;
			continue;
		}
		if (m->match > 0) {
			/* What was held back was content after all; a
			 * new match can only start at this byte ('\r'). */
			if (content(m, (const unsigned char *)m->delim,
			    m->match))
				return n;
			m->match = p[i] == '\r';
			run = m->match ? i + 1 : i;
		}
	}
	if (m->state == MP_DATA && m->match == 0 && content(m, p + run, i - run))
		return n;
	return i;
}

enum multipart_err
multipart_feed(struct multipart *m, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && m->state != MP_FAILED) {
		switch (m->state) {
		case MP_FIRST:
			if ((char)p[i++] != m->delim[m->match++])
				return fail(m, MULTIPART_E_SYNTAX);
			if (m->match == m->dlen)
				delimiter(m);
			break;
		case MP_DATA:
			i += data_run(m, p + i, n - i);
			break;
		case MP_AFTER:
			after_byte(m, p[i++]);
			break;
		case MP_HEADER:
			header_byte(m, p[i++]);
			break;
		case MP_DONE:
			return MULTIPART_OK;
		case MP_FAILED:
			break;
		}
	}
	return m->state == MP_FAILED ? m->err : MULTIPART_OK;
}

enum multipart_err
multipart_finish(struct multipart *m)
{
	if (m->state == MP_FAILED)
		return m->err;
	if (m->state != MP_DONE)
		return fail(m, MULTIPART_E_TRUNCATED);
	return MULTIPART_OK;
}

/* Code points that reorder or hide text on a terminal or a page
 * (Unicode bidirectional controls and marks, zero-width characters). */
static int
is_hidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* A character kept as it is in a safe name. */
static int
is_safe(uint32_t cp, int first)
{
	if (is_hidden(cp))
		return 0;
	if (cp < 0x80 && strchr("/\\:*?\"<>|$`", (int)cp) != NULL)
		return 0;
	return !(first && (cp == '.' || cp == '-' || cp == ' '));
}

void
multipart_safe_name(const unsigned char *s, size_t n, char *out,
    size_t outsize)
{
	size_t i, len, need, o = 0;
	uint32_t cp;
	int keep;

	/* The last component, whichever separator the sender's system
	 * used (old browsers sent a whole Windows path). */
	for (i = n; i > 0; i--)
		if (s[i - 1] == '/' || s[i - 1] == '\\')
			break;
	s += i;
	n -= i;
	for (i = 0; i < n; i += len) {
		len = utf8_next(s + i, n - i, &cp);
		keep = len != 0 && is_safe(cp, o == 0);
		if (len == 0)
			len = 1;
		need = keep ? len : 1;
		if (o + need >= outsize)
			break;
		if (keep)
			memcpy(out + o, s + i, len);
		else
			out[o] = '_';
		o += need;
	}
	if (o == 0)
		memcpy(out, "file", 5);
	else
		out[o] = '\0';
}
