/*
 * The reporter's side of the conversation (issue 13), below the page:
 * finding a report by its receipt's lookup id, the coarse status a
 * reporter sees, the days of their own messages (never the messages),
 * storing a new message, and the short-lived capability that lets the
 * follow-up page's form append to one report without the receipt.
 * docs/FORMATS.md section 14.
 */
#ifndef TIPLINE_FOLLOWUP_H
#define TIPLINE_FOLLOWUP_H

#include <stddef.h>
#include <stdint.h>

#include "receipt.h"
#include "store.h"

#define FOLLOWUP_CAP_VERSION	1
#define FOLLOWUP_CAP_RAW	(1 + 8 + 8 + 32)
#define FOLLOWUP_CAP_CHARS	66	/* base64url, no padding */
#define FOLLOWUP_MAX_DAYS	64	/* days of messages shown */
#define FOLLOWUP_MAX_REPLIES	64	/* replies shown, oldest first */

/* What a reporter is told of an analyst's status (one table; the page
 * and docs/FORMATS.md read it). */
enum coarse {
	COARSE_RECEIVED = 0,	/* new */
	COARSE_LOOKED_AT,	/* in-review */
	COARSE_PASSED_ON,	/* forwarded */
	COARSE_CLOSED,		/* closed, spam */
	COARSE_MAX
};

struct followup {
	long long	report_id;	/* 0: no report has the lookup id */
	char		ref[REF_LEN + 1];
	enum coarse	coarse;
	size_t		ndays;		/* days the reporter wrote, oldest first */
	char		days[FOLLOWUP_MAX_DAYS][11];
};

enum coarse	 followup_coarse(const char *status);
/* Fills f for the lookup id: 0 (f->report_id 0 when none has it), or
 * -1 on a database error. The same statements run whether or not a
 * report has it, so that an unknown receipt costs what a known one
 * does. */
int		 followup_find(struct store *,
		    const unsigned char lookup[RECEIPT_LOOKUP],
		    struct followup *f);
/* Calls shown(ctx, day, text, len) for each reply event to f's report
 * (none for no report), oldest first, opened with the receipt's key
 * pair: the content key wrapped for pk (FORMATS section 14, "Replies").
 * Each text is wiped after its call; a reply that does not open with
 * this key is skipped. 0, or -1 on a database error. */
int		 followup_replies(struct store *, const struct followup *f,
		    const unsigned char pk[RECEIPT_KEY],
		    const unsigned char sk[RECEIPT_KEY],
		    void (*shown)(void *ctx, const char *day, const char *text,
		    size_t len), void *ctx);
/* Stores a sealed message for a report; its id (the message cursor) in
 * *id. 0, 1 when the report is gone, -1 on error. */
int		 followup_add(struct store *, long long report_id,
		    const char *day, const unsigned char *env, size_t envlen,
		    long long *id);

/* The capability: "append to report_id until expires", MAC'd under a
 * subkey of the server secret. */
void		 followup_cap_make(const unsigned char secret[RECEIPT_SECRET],
		    long long report_id, uint64_t expires,
		    char out[FOLLOWUP_CAP_CHARS + 1]);
/* The report id, or 0 when s is not an authentic, unexpired
 * capability. */
long long	 followup_cap_check(const unsigned char
		    secret[RECEIPT_SECRET], const char *s, size_t n,
		    uint64_t now);

#endif
