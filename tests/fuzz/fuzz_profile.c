/*
 * Fuzzes profile_parse, which reads the deployment profile at start. A
 * mistake there must stop start-up with a line number and a message;
 * what it accepts must be what the pages can show safely: https://
 * addresses, numbers of digits, spaces and a leading '+', texts without
 * control characters, each language once.
 */
#include <string.h>

#include "fuzz.h"

#include "profile.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size > 0 && data[size - 1] != '\n');
}

static void
check_number(const char *s)
{
	FUZZ_CHECK(strlen(s) < PROFILE_SHORT);
	FUZZ_CHECK(strspn(s, "+0123456789 ") == strlen(s));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct profile p;
	char err[256];
	size_t line, i, j;

	memset(err, 0, sizeof(err));
	line = profile_parse((const char *)data, size, &p, err, sizeof(err));
	if (line != 0) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(line <= count_lines(data, size) || line == 1);
		return 0;
	}
	FUZZ_CHECK(strncmp(p.leave_url, "https://", 8) == 0);
	FUZZ_CHECK(p.nlangs >= 1 && p.nlangs <= LANG_MAX);
	for (i = 0; i < p.nlangs; i++)
		for (j = i + 1; j < p.nlangs; j++)
			FUZZ_CHECK(p.langs[i] != p.langs[j]);
	FUZZ_CHECK(p.nemergency >= 1 && p.nemergency <= PROFILE_MAX_EMERGENCY);
	for (i = 0; i < p.nemergency; i++)
		check_number(p.emergency[i].number);
	FUZZ_CHECK(p.nhelp <= PROFILE_MAX_HELP);
	for (i = 0; i < p.nhelp; i++) {
		check_number(p.help[i].phone);
		FUZZ_CHECK(p.help[i].url[0] == '\0' ||
		    strncmp(p.help[i].url, "https://", 8) == 0);
		FUZZ_CHECK(strpbrk(p.help[i].url, "\"<> ") == NULL);
	}
	return 0;
}
