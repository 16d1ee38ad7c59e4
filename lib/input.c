/*
 * Normalising what an analyst types: references, choice values, days.
 * Every accepted form maps to the one stored form, and everything else
 * is refused, so that a typo never selects another report.
 */
#include <stdio.h>
#include <string.h>

#include "input.h"
#include "util.h"

static char
upper(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	return c;
}

/* Crockford's decoding: O is 0, I and L are 1; U is not a symbol. */
static char
crockford(char c)
{
	c = upper(c);
	if (c == 'O')
		return '0';
	if (c == 'I' || c == 'L')
		return '1';
	if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'U'))
		return c;
	return 0;
}

int
input_ref(const char *s, char out[REF_LEN + 1])
{
	char sym[10];
	size_t n = 0, i, o = 3;

	/* Dashes and blanks are only separators; the letters are kept
	 * as typed until the prefix is taken off, since "TL" holds an L. */
	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		if (n == sizeof(sym))
			return -1;
		sym[n++] = *s;
	}
	i = 0;
	if (n == 10 && upper(sym[0]) == 'T' && upper(sym[1]) == 'L')
		i = 2;
	if (n - i != 8)
		return -1;
	memcpy(out, "TL-", 3);
	for (; i < n; i++) {
		if (o == 7)
			out[o++] = '-';
		if ((out[o++] = crockford(sym[i])) == 0)
			return -1;
	}
	out[o] = '\0';
	return ref_valid(out, REF_LEN) ? 0 : -1;
}

const char *
input_choice(const struct field *f, const char *s)
{
	const struct choice *c;
	size_t i;

	if (f == NULL || f->choices == NULL)
		return NULL;
	for (c = f->choices; c->value != NULL; c++) {
		for (i = 0; c->value[i] != '\0' && upper(c->value[i]) ==
		    upper(s[i]); i++)
			;
		if (c->value[i] == '\0' && s[i] == '\0')
			return c->value;
	}
	return NULL;
}

/* Digits only, 1 to max of them, as a number; -1 otherwise. */
static long
digits(const char *s, size_t n, size_t max)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
input_day_exists(const char *s)
{
	struct tm tm;
	char back[11];
	int i;

	if (strlen(s) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)digits(s, 4, 4) - 1900;
	tm.tm_mon = (int)digits(s + 5, 2, 2) - 1;
	tm.tm_mday = (int)digits(s + 8, 2, 2);
	tm.tm_hour = 12;
	day_utc(timegm(&tm), back);
	return strcmp(back, s) == 0;
}

/* "D.M.YYYY", as Swiss dates are written. */
static int
dotted(const char *s, char out[11])
{
	const char *a = strchr(s, '.'), *b = a ? strchr(a + 1, '.') : NULL;
	long d, m, y;

	if (b == NULL)
		return -1;
	d = digits(s, (size_t)(a - s), 2);
	m = digits(a + 1, (size_t)(b - a - 1), 2);
	y = digits(b + 1, strlen(b + 1), 4);
	if (d < 1 || m < 1 || y < 1000 || strlen(b + 1) != 4)
		return -1;
	/* digits() bounded each part: 4, 2 and 2 digits. */
	snprintf(out, 11, "%04d-%02d-%02d", (int)(y % 10000), (int)(m % 100),
	    (int)(d % 100));
	return input_day_exists(out) ? 0 : -1;
}

int
input_day(const char *s, time_t now, char out[11])
{
	size_t n = strlen(s);
	long back = -1;

	if (strcmp(s, "today") == 0)
		back = 0;
	else if (strcmp(s, "yesterday") == 0)
		back = 1;
	else if (n >= 2 && s[n - 1] == 'd')
		back = digits(s, n - 1, 5);
	if (back > INPUT_MAX_DAYS)
		return -1;
	if (back >= 0) {
		day_utc(now - (time_t)back * 86400, out);
		return 0;
	}
	if (strchr(s, '.') != NULL)
		return dotted(s, out);
	if (!input_day_exists(s))
		return -1;
	memcpy(out, s, 11);
	return 0;
}
