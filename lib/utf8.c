/*
 * A small strict UTF-8 decoder. Written out by hand because it is ten
 * lines and must reject exactly what RFC 3629 section 4 forbids.
 */
#include "utf8.h"

size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; c &= 0x07; min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
utf8_valid(const unsigned char *s, size_t n, size_t *count)
{
	size_t i = 0, k, cnt = 0;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_next(s + i, n - i, &cp)) == 0)
			return 0;
		i += k;
		cnt++;
	}
	if (count != NULL)
		*count = cnt;
	return 1;
}
