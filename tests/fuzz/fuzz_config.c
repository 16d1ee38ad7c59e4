/*
 * Fuzzes config_parse, which reads tipline-fcgi's configuration file at
 * start. A mistake there must stop start-up with a line number and a
 * message, never be half-applied silently or overflow a path buffer.
 */
#include <string.h>

#include "fuzz.h"

#include "config.h"
#include "bounds.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
check_path(const char *p)
{
	FUZZ_CHECK(memchr(p, '\0', CONFIG_PATH_MAX) != NULL);
	FUZZ_CHECK(p[0] == '/');
}

/* Lines in data[0..size), counting a last line without '\n'. */
static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size > 0 && data[size - 1] != '\n');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[256];
	size_t line;

	config_defaults(&c);
	memset(err, 0, sizeof(err));
	line = config_parse((const char *)data, size, &c, err, sizeof(err));
	if (line != 0) {
		/* A bad file names a line that exists, and why. */
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(line <= count_lines(data, size) || line == 1);
		return 0;
	}
	check_path(c.database);
	check_path(c.recipients);
	check_path(c.secret);
	check_path(c.templates);
	FUZZ_CHECK(c.workers >= 1 && c.workers <= MAX_WORKERS);
	FUZZ_CHECK(c.token_min_age >= 0 && c.token_min_age < c.token_max_age);
	FUZZ_CHECK(c.busy_timeout_ms >= 0 && c.busy_timeout_ms <= 60000);
	return 0;
}
