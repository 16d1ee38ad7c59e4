/*
 * Deployment profiles. Strict, like the config: an unknown key, a bad
 * number, a URL that is not https://, an unknown language or kind stops
 * start-up with the line's number, because a typo here would put a wrong
 * emergency number in front of a frightened person.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "catalog.h"
#include "profile.h"
#include "utf8.h"
#include "util.h"

const char *const emergency_labels[EMERGENCY_MAX] = {
	[EMERGENCY_POLICE] = N_("Police"),
	[EMERGENCY_AMBULANCE] = N_("Ambulance"),
	[EMERGENCY_GENERAL] = N_("Emergency number"),
};
static const char *const emergency_keys[EMERGENCY_MAX] = {
	"police", "ambulance", "general"
};

const char *const help_labels[HELP_MAX] = {
	[HELP_VICTIM_SUPPORT] = N_("Victim support: advice and help after a "
	    "crime"),
	[HELP_SPECIALIST] = N_("Specialist advice for people affected by "
	    "trafficking"),
	[HELP_REPORTING] = N_("Reporting office, also for people affected"),
};
static const char *const help_keys[HELP_MAX] = {
	"victim_support", "specialist", "reporting"
};

const char *const help_says[SAY_MAX] = {
	[SAY_NO_POLICE] = N_("You can get help without going to the police."),
	[SAY_FREE] = N_("Advice from victim support is free and "
	    "confidential."),
	[SAY_ANY_ORIGIN] = N_("Victim support is there for everyone harmed by "
	    "a crime in this country, whatever country they come from and "
	    "however long they stay."),
};
const char *const profile_ui[UI_MAX] = {
	[UI_DANGER] = N_("In immediate danger, call:"),
	[UI_HELP_TITLE] = N_("Help for people affected"),
	[UI_HELP_INTRO] = N_("Are you affected yourself, or is someone close "
	    "to you? You can get help and advice."),
};

static const char *const say_keys[SAY_MAX] = {
	"no_police", "free", "any_origin"
};

const char *
profile_text(const struct profile_text *t, enum lang l)
{
	if ((unsigned)l < LANG_MAX && t->s[l][0] != '\0')
		return t->s[l];
	return t->s[LANG_MAX];
}

int
profile_offers(const struct profile *p, enum lang l)
{
	size_t i;

	for (i = 0; i < p->nlangs; i++)
		if (p->langs[i] == l)
			return 1;
	return 0;
}

/* Printable UTF-8, no control characters, shorter than max. */
static int
text_ok(const char *v, size_t max)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t n = strlen(v), count, i;

	if (n == 0 || n >= max || !utf8_valid(u, n, &count))
		return 0;
	for (i = 0; i < n; i++)
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 0;
	return 1;
}

/* A phone number as people write it: digits, spaces, a leading '+'. */
static int
number_ok(const char *v)
{
	size_t n = strlen(v), digits = 0, i;

	if (n == 0 || n >= PROFILE_SHORT)
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digits++;
		else if (v[i] != ' ' && !(v[i] == '+' && i == 0))
			return 0;
	}
	return digits >= 3 && digits <= 15;	/* E.164: 15 at most */
}

/* https://, then a host and path without spaces, quotes or brackets. */
static int
url_ok(const char *v)
{
	size_t n = strlen(v);

	return n > 8 && n < PROFILE_URL && strncmp(v, "https://", 8) == 0 &&
	    strcspn(v, " \t\"'<>\\`") == n && text_ok(v, PROFILE_URL);
}

static int
find(const char *const *keys, int n, const char *k, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(keys[i]) == len && memcmp(keys[i], k, len) == 0)
			return i;
	return -1;
}

/* "de fr it": each language once, each one we have. */
static int
set_langs(struct profile *p, char *v, char *err, size_t errlen)
{
	char *w, *save = NULL;
	int l;

	p->nlangs = 0;
	for (w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t",
	    &save)) {
		if ((l = lang_from_code(w, strlen(w))) < 0 ||
		    profile_offers(p, (enum lang)l)) {
			snprintf(err, errlen, "'languages': '%.20s' is not one "
			    "of ours or is listed twice (ours: see "
			    "html/locale/*.po)", w);
			return -1;
		}
		p->langs[p->nlangs++] = (enum lang)l;
	}
	return 0;
}

static int
set_emergency(struct profile *p, char *v, char *err, size_t errlen)
{
	char *sp = strchr(v, ' ');
	struct profile_number *e;
	int k;

	if (sp == NULL || (k = find(emergency_keys, EMERGENCY_MAX, v,
	    (size_t)(sp - v))) < 0 || !number_ok(sp + strspn(sp, " ")) ||
	    p->nemergency == PROFILE_MAX_EMERGENCY) {
		snprintf(err, errlen, "'emergency' must be 'police NUMBER', "
		    "'ambulance NUMBER' or 'general NUMBER' (digits, spaces, "
		    "a leading +), at most %d lines", PROFILE_MAX_EMERGENCY);
		return -1;
	}
	e = &p->emergency[p->nemergency++];
	e->kind = k;
	snprintf(e->number, sizeof(e->number), "%s", sp + strspn(sp, " "));
	return 0;
}

/* Trims blanks around one '|'-separated part in place. */
static char *
part(char **s)
{
	char *start = *s + strspn(*s, " \t"), *bar = strchr(start, '|'), *e;

	*s = bar ? bar + 1 : NULL;
	if (bar)
		*bar = '\0';
	for (e = start + strlen(start); e > start && (e[-1] == ' ' ||
	    e[-1] == '\t'); e--)
		e[-1] = '\0';
	return start;
}

/* "KIND | Name | phone or - | https://... or -" */
static int
set_help(struct profile *p, char *v, char *err, size_t errlen)
{
	char *rest = v, *kind = part(&rest), *name, *phone, *url;
	struct profile_help *h;
	int k;

	name = rest ? part(&rest) : NULL;
	phone = rest ? part(&rest) : NULL;
	url = rest ? part(&rest) : NULL;
	if (url == NULL || rest != NULL || (k = find(help_keys, HELP_MAX,
	    kind, strlen(kind))) < 0 || !text_ok(name, PROFILE_TEXT) ||
	    (strcmp(phone, "-") != 0 && !number_ok(phone)) ||
	    (strcmp(url, "-") != 0 && !url_ok(url)) ||
	    p->nhelp == PROFILE_MAX_HELP) {
		snprintf(err, errlen, "'help' must be 'KIND | name | phone or "
		    "- | https://address or -', KIND one of victim_support, "
		    "specialist, reporting; at most %d lines",
		    PROFILE_MAX_HELP);
		return -1;
	}
	h = &p->help[p->nhelp++];
	h->kind = k;
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->phone, sizeof(h->phone), "%s", strcmp(phone, "-") ?
	    phone : "");
	snprintf(h->url, sizeof(h->url), "%s", strcmp(url, "-") ? url : "");
	return 0;
}

static int
set_says(struct profile *p, char *v, char *err, size_t errlen)
{
	char *w, *save = NULL;
	int k;

	for (w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t",
	    &save)) {
		if ((k = find(say_keys, SAY_MAX, w, strlen(w))) < 0) {
			snprintf(err, errlen, "'help_says': '%.20s' is not one "
			    "of no_police, free, any_origin", w);
			return -1;
		}
		p->says[k] = 1;
	}
	return 0;
}

/* site_name, org_name, retention, each with an optional ".xx". */
static int
set_text(struct profile *p, const char *k, const char *v, char *err,
    size_t errlen)
{
	static const char *const names[] = { "site_name", "org_name",
	    "retention" };
	struct profile_text *t[] = { &p->site_name, &p->org_name,
	    &p->retention };
	const char *dot = strchr(k, '.');
	size_t len = dot ? (size_t)(dot - k) : strlen(k);
	int i, l = LANG_MAX;

	if ((i = find(names, 3, k, len)) < 0)
		return 1;	/* not a text key */
	if (dot != NULL && (l = lang_from_code(dot + 1, strlen(dot + 1))) < 0) {
		snprintf(err, errlen, "'%.20s': unknown language suffix", k);
		return -1;
	}
	if (!text_ok(v, PROFILE_TEXT)) {
		snprintf(err, errlen, "'%.20s': text must be UTF-8 without "
		    "control characters, shorter than %d bytes", k,
		    PROFILE_TEXT);
		return -1;
	}
	memcpy(t[i]->s[l], v, strlen(v) + 1);
	return 0;
}

static int
parse_line(char *line, void *ctx, char *err, size_t errlen)
{
	struct profile *p = ctx;
	char *k, *v, *s = line + strspn(line, " \t\r");
	int r;

	if (*s == '\0' || *s == '#')
		return 0;
	if (kv_split(s, &k, &v) != 0) {
		snprintf(err, errlen, "expected 'key = value'");
		return -1;
	}
	if ((r = set_text(p, k, v, err, errlen)) <= 0)
		return r;
	if (strcmp(k, "leave_url") == 0) {
		if (url_ok(v)) {
			memcpy(p->leave_url, v, strlen(v) + 1);
			return 0;
		}
		snprintf(err, errlen, "'leave_url' must be an https:// "
		    "address");
		return -1;
	}
	if (strcmp(k, "languages") == 0)
		return set_langs(p, v, err, errlen);
	if (strcmp(k, "emergency") == 0)
		return set_emergency(p, v, err, errlen);
	if (strcmp(k, "help") == 0)
		return set_help(p, v, err, errlen);
	if (strcmp(k, "help_says") == 0)
		return set_says(p, v, err, errlen);
	snprintf(err, errlen, "unknown key (known: site_name, org_name, "
	    "retention, leave_url, languages, emergency, help, help_says)");
	return -1;
}

static const char *
missing(const struct profile *p)
{
	if (p->site_name.s[LANG_MAX][0] == '\0')
		return "site_name";
	if (p->org_name.s[LANG_MAX][0] == '\0')
		return "org_name";
	if (p->leave_url[0] == '\0')
		return "leave_url";
	if (p->nlangs == 0)
		return "languages";
	if (p->nemergency == 0)
		return "emergency";
	return NULL;
}

size_t
profile_parse(const char *text, size_t n, struct profile *p, char *err,
    size_t errlen)
{
	size_t lineno;
	const char *m;

	memset(p, 0, sizeof(*p));
	if (n > MAX_CONFIG) {
		snprintf(err, errlen, "file larger than %d bytes", MAX_CONFIG);
		return 1;
	}
	if ((lineno = lines_each(text, n, parse_line, p, err, errlen)) != 0)
		return lineno;
	if ((m = missing(p)) != NULL) {
		snprintf(err, errlen, "'%s' is missing (every profile needs "
		    "site_name, org_name, leave_url, languages and an "
		    "emergency line)", m);
		return lines_last(text, n);
	}
	return 0;
}
