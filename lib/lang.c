/*
 * Language codes and Accept-Language negotiation. The header is parsed
 * strictly by its grammar (RFC 9110 section 12.5.4, language ranges from
 * RFC 4647 section 2.1); an element that does not follow it is skipped,
 * and a header longer than MAX_ACCEPT_LANGUAGE is ignored, so a hostile
 * header can only ever give the default language.
 */
#include <string.h>
#include <strings.h>

#include "lang.h"

static const struct {
	const char	*code;
	const char	*name;
} langs[LANG_MAX] = {
	[LANG_DE] = { "de", "Deutsch" },
	[LANG_FR] = { "fr", "Fran\xc3\xa7" "ais" },
	[LANG_IT] = { "it", "Italiano" },
	[LANG_EN] = { "en", "English" },
	[LANG_RO] = { "ro", "Rom\xc3\xa2n\xc4\x83" },
	[LANG_HU] = { "hu", "Magyar" },
	[LANG_BG] = { "bg", "\xd0\x91\xd1\x8a\xd0\xbb\xd0\xb3\xd0\xb0"
	    "\xd1\x80\xd1\x81\xd0\xba\xd0\xb8" },
	[LANG_ES] = { "es", "Espa\xc3\xb1ol" },
	[LANG_PT] = { "pt", "Portugu\xc3\xaas" },
	[LANG_RU] = { "ru", "\xd0\xa0\xd1\x83\xd1\x81\xd1\x81\xd0\xba"
	    "\xd0\xb8\xd0\xb9" },
	[LANG_AR] = { "ar", "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8"
	    "\xd9\x8a\xd8\xa9" },
	[LANG_FA] = { "fa", "\xd9\x81\xd8\xa7\xd8\xb1\xd8\xb3\xdb\x8c" },
};

int
lang_rtl(enum lang l)
{
	return l == LANG_AR || l == LANG_FA;
}

const char *
lang_code(enum lang l)
{
	return (unsigned)l < LANG_MAX ? langs[l].code : langs[LANG_DEFAULT].code;
}

const char *
lang_name(enum lang l)
{
	return (unsigned)l < LANG_MAX ? langs[l].name : langs[LANG_DEFAULT].name;
}

int
lang_from_code(const char *s, size_t n)
{
	int i;

	for (i = 0; s != NULL && i < LANG_MAX; i++)
		if (n == 2 && memcmp(s, langs[i].code, 2) == 0)
			return i;
	return -1;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* The language a range asks for: its primary subtag, any case; Swiss
 * German ("gsw") reads German; "*" (any) gets the default. -1: none of
 * ours, or not a range at all. */
static int
range_lang(const char *s, size_t n, int dflt)
{
	size_t i, run = 0, prim = 0;

	if (n == 1 && s[0] == '*')
		return dflt;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '-') {
			if (run < 1 || run > 8)
				return -1;
			if (prim == 0)
				prim = i;
			run = 0;
		} else if (is_alpha(s[i]) || (prim != 0 && is_digit(s[i])))
			run++;
		else
			return -1;
	}
	if (prim == 3 && strncasecmp(s, "gsw", 3) == 0)
		return LANG_DE;
	for (i = 0; i < LANG_MAX; i++)
		if (prim == 2 && strncasecmp(s, langs[i].code, 2) == 0)
			return (int)i;
	return -1;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; -1 if malformed. */
static int
qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || n > 5 ||
	    (n > 1 && s[1] != '.'))
		return -1;
	q = (s[0] - '0') * 1000;
	for (i = 2; i < n; i++, scale /= 10) {
		if (!is_digit(s[i]) || (q == 1000 && s[i] != '0'))
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q;
}

static size_t
trim_ows(const char **s, size_t n)
{
	while (n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

/* One element: language-range [ OWS ";" OWS "q=" qvalue ]. Sets *q (in
 * thousandths) and returns the language, or -1 to skip the element. */
static int
element(const char *s, size_t n, int *q, int dflt)
{
	const char *end = s + n, *semi = memchr(s, ';', n), *r = s, *w;
	size_t rn = semi ? (size_t)(semi - s) : n, wn;
	int l;

	rn = trim_ows(&r, rn);
	if ((l = range_lang(r, rn, dflt)) < 0)
		return -1;
	*q = 1000;
	if (semi == NULL)
		return l;
	w = semi + 1;
	wn = trim_ows(&w, (size_t)(end - w));
	if (wn < 2 || (w[0] != 'q' && w[0] != 'Q') || w[1] != '=')
		return -1;
	*q = qvalue(w + 2, wn - 2);
	return *q < 0 ? -1 : l;
}

int
lang_negotiate(const char *h, size_t n)
{
	return lang_negotiate_in(h, n, (1u << LANG_MAX) - 1, LANG_DEFAULT);
}

int
lang_negotiate_in(const char *h, size_t n, unsigned offered, int dflt)
{
	const char *end, *comma;
	int best = -1, best_q = 0, l, q;

	if (h == NULL || n > MAX_ACCEPT_LANGUAGE || memchr(h, '\0', n))
		return -1;
	for (end = h + n; h < end; h = comma + 1) {
		if ((comma = memchr(h, ',', (size_t)(end - h))) == NULL)
			comma = end;
		/* q=0 means "not acceptable"; on a tie the first listed
		 * wins, as the header's order is the user's order. */
		l = element(h, (size_t)(comma - h), &q, dflt);
		if (l >= 0 && (offered & (1u << l)) && q > best_q) {
			best = l;
			best_q = q;
		}
		if (comma == end)
			break;
	}
	return best;
}
