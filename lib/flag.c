/*
 * The flag table and the tests behind each flag. The letters are ASCII
 * capitals so that they survive a pipe, a spreadsheet and a screen
 * reader (which spells them out); the names are what --flag and the
 * JSON output use. 'I' is kept for "new information from the
 * reporter" (issue 13).
 */
#include <string.h>

#include "fields.h"
#include "flag.h"

static const char *
value(const struct record *rec, const char *name)
{
	int k = field_index(name);

	return k >= 0 && rec->value[k] != NULL ? rec->value[k] : "";
}

static int
is(const struct record *rec, const char *name, const char *v)
{
	return strcmp(value(rec, name), v) == 0;
}

/* A way to reach the reporter: anything but blanks. */
static int
has_contact(const struct record *rec)
{
	return value(rec, "contact")[strspn(value(rec, "contact"),
	    " \t\r\n")] != '\0';
}

static int
t_minors(const struct record *rec, const struct flag_case *c)
{
	(void)c;
	return is(rec, "minors", "yes");
}

static int
t_ongoing(const struct record *rec, const struct flag_case *c)
{
	(void)c;
	return is(rec, "ongoing", "yes");
}

static int
t_affected(const struct record *rec, const struct flag_case *c)
{
	(void)c;
	return is(rec, "source", "affected");
}

static int
t_contact(const struct record *rec, const struct flag_case *c)
{
	(void)c;
	return is(rec, "contact_ok", "yes");
}

static int
t_no_way(const struct record *rec, const struct flag_case *c)
{
	(void)c;
	return is(rec, "contact_ok", "yes") && !has_contact(rec);
}

static int
t_refused(const struct record *rec, const struct flag_case *c)
{
	(void)c;
	return is(rec, "contact_ok", "no") && has_contact(rec);
}

/* Days compare as strings: "YYYY-MM-DD" sorts like the calendar. */
static int
t_overdue(const struct record *rec, const struct flag_case *c)
{
	(void)rec;
	return c != NULL && c->status != NULL && c->day != NULL &&
	    c->due != NULL && strcmp(c->status, "new") == 0 &&
	    strcmp(c->day, c->due) < 0;
}

static int
t_reporter_new(const struct record *rec, const struct flag_case *c)
{
	(void)rec;
	return c != NULL && c->reporter_new;
}

static int
t_reply_due(const struct record *rec, const struct flag_case *c)
{
	(void)rec;
	return c != NULL && c->reply_due;
}

const struct flag flag_table[] = {
	{ "minors", 'M', 1, "minors are involved", t_minors },
	{ "ongoing", 'O', 1, "it is still going on", t_ongoing },
	{ "affected", 'A', 1, "the reporter is or was affected", t_affected },
	{ "contact", 'C', 0, "the reporter may be contacted", t_contact },
	{ "contact-missing", 'N', 0, "contact allowed, but no way to reach "
	  "the reporter given", t_no_way },
	{ "contact-refused", 'R', 0, "contact refused, but contact details "
	  "given: do not use them", t_refused },
	{ "overdue", 'L', 0, "still new after the overdue days", t_overdue },
	{ "reporter-new", 'I', 0, "new information from the reporter since "
	  "the last reply or decision", t_reporter_new },
	{ "reply-due", 'D', 0, "no reply after the reply days, or none in "
	  "the last 90 days of a case open that long", t_reply_due },
};

const int nflags = (int)(sizeof(flag_table) / sizeof(flag_table[0]));

_Static_assert(sizeof(flag_table) / sizeof(flag_table[0]) <= 32, "a flag set is "
    "an unsigned of 32 bits");

unsigned
flag_compute(const struct record *rec, const struct flag_case *c)
{
	unsigned set = 0;
	int i;

	for (i = 0; i < nflags; i++)
		if (flag_table[i].test(rec, c))
			set |= 1u << i;
	return set;
}

unsigned
flag_bit(const char *name)
{
	int i;

	for (i = 0; i < nflags; i++)
		if (strcmp(flag_table[i].name, name) == 0)
			return 1u << i;
	return 0;
}

unsigned
flag_urgent(void)
{
	unsigned set = 0;
	int i;

	for (i = 0; i < nflags; i++)
		if (flag_table[i].urgent)
			set |= 1u << i;
	return set;
}

void
flag_letters(unsigned set, char out[33])
{
	int i, o = 0;

	for (i = 0; i < nflags; i++)
		if (set & (1u << i))
			out[o++] = flag_table[i].letter;
	if (o == 0)
		out[o++] = '-';
	out[o] = '\0';
}
