/*
 * The statuses of a report, in one table: the store's CHECK, the
 * event's status code (1 + index, a wire value: never reorder), the
 * CLI's checks and messages, review's keys, and the man page (checked
 * by tests/integration/test_triage.py) all read it.
 */
#ifndef TIPLINE_STATUS_H
#define TIPLINE_STATUS_H

struct status {
	const char	*name;
	char		 key;	/* review's key for it; 0 for none */
	const char	*help;
};

extern const struct status status_table[];
extern const int nstatuses;

/* The index of name in status_table, or -1. */
int		 status_index(const char *name);
/* "new, in-review, forwarded, closed or spam", for messages. */
const char	*status_list(void);

#endif
