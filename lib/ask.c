/*
 * The questions of lib/ask.h: pure, on a checked report.
 */
#include <string.h>

#include "ask.h"

static int
blank(const struct report *r, int i)
{
	return i < 0 || r->value[i] == NULL ||
	    strspn(r->value[i], " \t\n") == r->len[i];
}

static int
is(const struct report *r, int i, const char *want)
{
	return i >= 0 && r->value[i] != NULL && r->len[i] == strlen(want) &&
	    memcmp(r->value[i], want, r->len[i]) == 0;
}

enum ask
ask_report(const struct report *r)
{
	int ok = field_index("contact_ok"), how = field_index("contact");

	if (r->confirm != NULL && strcmp(r->confirm, ASK_CONFIRM_CONTACT) == 0)
		return ASK_NONE;
	if (is(r, ok, "yes") && blank(r, how))
		return ASK_CONTACT_HOW;
	if (is(r, ok, "no") && !blank(r, how))
		return ASK_CONTACT_KEEP;
	return ASK_NONE;
}
