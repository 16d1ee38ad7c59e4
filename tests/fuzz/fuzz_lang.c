/*
 * Fuzzes lang_negotiate, which reads the browser's Accept-Language
 * header on every request (RFC 9110 section 12.5.4), and lang_from_code,
 * which reads ?lang= and the form's "lang" field.
 */
#include <string.h>
#include <strings.h>

#include "fuzz.h"

#include "lang.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* 1 if s[0..n) holds word, in any case. */
static int
has(const uint8_t *s, size_t n, const char *word)
{
	size_t i, wl = strlen(word);

	for (i = 0; i + wl <= n; i++)
		if (strncasecmp((const char *)s + i, word, wl) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int l;

	l = lang_negotiate((const char *)data, size);
	FUZZ_CHECK(l >= -1 && l < LANG_MAX);
	/* A language is picked only if the header names it (or "gsw" for
	 * German, or "*" for the default), and always the same way. */
	if (l >= 0) {
		FUZZ_CHECK(size <= MAX_ACCEPT_LANGUAGE);
		FUZZ_CHECK(has(data, size, lang_code((enum lang)l)) ||
		    (l == LANG_DE && has(data, size, "gsw")) ||
		    (l == LANG_DEFAULT && memchr(data, '*', size) != NULL));
	}
	FUZZ_CHECK(lang_negotiate((const char *)data, size) == l);
	l = lang_from_code((const char *)data, size);
	FUZZ_CHECK(l >= -1 && l < LANG_MAX);
	if (l >= 0)
		FUZZ_CHECK(size == strlen(lang_code((enum lang)l)) &&
		    memcmp(data, lang_code((enum lang)l), size) == 0);
	return 0;
}
