/*
 * A deployment profile: what differs from one country's deployment to
 * the next (the site's and the organisation's name, the emergency
 * numbers, where people affected get help, the retention wording, the
 * neutral site behind "Leave this page", the languages offered), in one
 * "key = value" file, so that an operator deploys tipline without
 * editing templates. profile_parse is pure (bytes in, struct out, no
 * I/O) and strict like config_parse: the first bad line stops start-up
 * with its number. The format is in docs/DEPLOY.md; the Swiss profile
 * (html/profiles/ch.profile) is the default.
 */
#ifndef TIPLINE_PROFILE_H
#define TIPLINE_PROFILE_H

#include <stddef.h>

#include "lang.h"

#define PROFILE_TEXT		300	/* bytes of one text value */
#define PROFILE_SHORT		64	/* bytes of a number or a name */
#define PROFILE_URL		200
#define PROFILE_MAX_EMERGENCY	4
#define PROFILE_MAX_HELP	8

/* A text with a value per language; s[LANG_MAX] is the one without a
 * language suffix, used where a language has none of its own. */
struct profile_text {
	char	s[LANG_MAX + 1][PROFILE_TEXT];
};

enum emergency_kind { EMERGENCY_POLICE, EMERGENCY_AMBULANCE,
	EMERGENCY_GENERAL, EMERGENCY_MAX };
enum help_kind { HELP_VICTIM_SUPPORT, HELP_SPECIALIST, HELP_REPORTING,
	HELP_MAX };
/* The sentences a help section may say (profile key "help_says"). */
enum help_say { SAY_NO_POLICE, SAY_FREE, SAY_ANY_ORIGIN, SAY_MAX };

struct profile_number {
	int	kind;			/* enum emergency_kind */
	char	number[PROFILE_SHORT];	/* as shown: digits, spaces, '+' */
};

struct profile_help {
	int	kind;			/* enum help_kind */
	char	name[PROFILE_TEXT];
	char	phone[PROFILE_SHORT];	/* "" for none */
	char	url[PROFILE_URL];	/* "" for none; https:// only */
};

struct profile {
	struct profile_text	site_name;	/* every page's <title> */
	struct profile_text	org_name;
	struct profile_text	retention;
	char			leave_url[PROFILE_URL];
	enum lang		langs[LANG_MAX];	/* offered, in order */
	size_t			nlangs;		/* langs[0] is the default */
	struct profile_number	emergency[PROFILE_MAX_EMERGENCY];
	size_t			nemergency;
	struct profile_help	help[PROFILE_MAX_HELP];
	size_t			nhelp;
	int			says[SAY_MAX];	/* 1: the section says it */
};

/* 0 on success; else the 1-based number of the bad line (the last line
 * for a key that is missing), with a message naming the fix in err. */
size_t	profile_parse(const char *text, size_t n, struct profile *,
	    char *err, size_t errlen);
/* The text in language l, else the one without a suffix. */
const char	*profile_text(const struct profile_text *, enum lang l);
int		 profile_offers(const struct profile *, enum lang l);
/* The msgids of the kinds and sentences above, for the pages and for
 * page_check. */
extern const char *const emergency_labels[EMERGENCY_MAX];
extern const char *const help_labels[HELP_MAX];
extern const char *const help_says[SAY_MAX];
/* The headings around them (site.c shows them). */
enum profile_ui { UI_DANGER, UI_HELP_TITLE, UI_HELP_INTRO, UI_MAX };
extern const char *const profile_ui[UI_MAX];

#endif
