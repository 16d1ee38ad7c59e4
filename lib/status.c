/*
 * The status table. The order is the event's status code (1 + index,
 * docs/FORMATS.md section 9) and the order the CLI shows them in.
 */
#include <stdio.h>
#include <string.h>

#include "status.h"

const struct status status_table[] = {
	{ "new", 'u', "not decided yet" },
	{ "in-review", 'r', "someone is on it" },
	{ "forwarded", 'f', "sent to a partner (with where to)" },
	{ "closed", 'c', "nothing more to do" },
	{ "spam", 's', "not a report" },
};

const int nstatuses = (int)(sizeof(status_table) / sizeof(status_table[0]));

int
status_index(const char *name)
{
	int i;

	for (i = 0; i < nstatuses; i++)
		if (strcmp(status_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *
status_list(void)
{
	static char s[128];
	size_t o = 0;
	int i;

	if (s[0] != '\0')
		return s;
	for (i = 0; i < nstatuses; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%s",
		    i == 0 ? "" : i + 1 == nstatuses ? " or " : ", ",
		    status_table[i].name);
	return s;
}
