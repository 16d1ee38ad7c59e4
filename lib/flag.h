/*
 * Urgency flags: facts about a report that decide what is read first,
 * computed from its record and its case (status, day received), never
 * stored. One table: list's column (one letter each), --json's names,
 * the filters (--flag, --not-flag, --urgent), review's order and the
 * man page's list (checked by tests/integration/test_triage.py) read
 * it. A new flag is one row here and its test function.
 */
#ifndef TIPLINE_FLAG_H
#define TIPLINE_FLAG_H

#include "record.h"

#define FLAG_OVERDUE_DAYS	7	/* default: no decision after a week */
#define FLAG_MAX_OVERDUE_DAYS	3650
#define FLAG_REPLY_DAYS		7	/* default: a first reply within a week */
#define FLAG_FEEDBACK_DAYS	90	/* feedback within three months */

/* What a flag may look at besides the record. */
struct flag_case {
	const char	*status;	/* the report's status */
	const char	*day;		/* received, YYYY-MM-DD */
	const char	*due;		/* undecided and received before this
					 * day: overdue */
	int		 reporter_new;	/* a reporter's message on or after
					 * the day of the last reply or
					 * decision (cli/messages.c) */
	int		 reply_due;	/* no reply in time (cli/messages.c) */
};

struct flag {
	const char	*name;		/* --flag NAME, JSON */
	char		 letter;	/* list's column: A-Z, unique */
	int		 urgent;	/* one of --urgent's set */
	const char	*help;
	int		 (*test)(const struct record *,
			    const struct flag_case *);
};

extern const struct flag flag_table[];
extern const int nflags;

/* The bit of flag i is 1u << i. */
unsigned	 flag_compute(const struct record *, const struct flag_case *);
/* The bit of a flag by name, or 0 when there is none. */
unsigned	 flag_bit(const char *name);
/* The bits of the --urgent set. */
unsigned	 flag_urgent(void);
/* The set's letters in table order, "-" for none; out holds at least
 * nflags + 1 bytes (32 + 1 always does). */
void		 flag_letters(unsigned set, char out[33]);

#endif
