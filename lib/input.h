/*
 * Input as people type it: a reference in any case, with or without
 * "TL-" and dashes, O read as 0 and I or L as 1 (Crockford's base32);
 * a choice value in any case (zh for ZH); a day as 2026-11-30,
 * 30.11.2026, today, yesterday or 7d (seven days ago). Pure functions:
 * no I/O; the CLI and tests/unit/t_triage.c call them.
 */
#ifndef TIPLINE_INPUT_H
#define TIPLINE_INPUT_H

#include <time.h>

#include "fields.h"
#include "store.h"

#define INPUT_MAX_DAYS	36500	/* "Nd": at most a century back */

/* The reference in its stored form "TL-XXXX-XXXX" into out: 0, or -1
 * when s cannot be one. */
int		 input_ref(const char *s, char out[REF_LEN + 1]);
/* The stored value of the choice of f that s names in any ASCII case,
 * or NULL. */
const char	*input_choice(const struct field *f, const char *s);
/* The day s names, relative to now for today and Nd, as YYYY-MM-DD in
 * UTC: 0, or -1 when s is not a day that exists. */
int		 input_day(const char *s, time_t now, char out[11]);
/* 1 when s is a calendar day "YYYY-MM-DD" that exists. */
int		 input_day_exists(const char *s);

#endif
