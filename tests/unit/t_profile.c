/* The deployment profile (lib/profile.c): the shipped profiles parse,
 * each kind of mistake names its line; the language choice among the
 * offered languages (lib/lang.c); the kind question about contact
 * answers that contradict each other (lib/ask.c). */
#include "t.h"

#include "ask.h"
#include "bounds.h"
#include "keyfile.h"
#include "profile.h"

static struct profile p;	/* large: not on the stack */

static size_t
parse(const char *s, char *err)
{
	return profile_parse(s, strlen(s), &p, err, 256);
}

static size_t
parse_file(const char *path, char *err)
{
	char *text = NULL;
	size_t n, line;

	if (keyfile_slurp(path, MAX_CONFIG, &text, &n) != KF_OK)
		return 9999;
	line = profile_parse(text, n, &p, err, 256);
	free(text);
	return line;
}

#define MINIMAL "site_name = S\norg_name = O\nleave_url = https://x.test/\n" \
	"languages = en\nemergency = police 117\n"

TEST(the_shipped_profiles_parse)
{
	char err[256] = "";

	CHECK(parse_file("html/profiles/ch.profile", err) == 0);
	if (err[0])
		fprintf(stderr, "ch.profile: %s\n", err);
	CHECK(p.nlangs == LANG_MAX && p.langs[0] == LANG_DE);
	CHECK(p.nemergency == 2 && strcmp(p.emergency[0].number, "117") == 0);
	CHECK(p.nhelp == 3 && p.says[SAY_NO_POLICE] && p.says[SAY_ANY_ORIGIN]);
	CHECK(strcmp(profile_text(&p.site_name, LANG_FR), "KSMM") == 0);
	CHECK(strncmp(profile_text(&p.org_name, LANG_DE), "Kompetenz", 9) == 0);
	err[0] = '\0';
	CHECK(parse_file("html/profiles/example.profile", err) == 0);
	if (err[0])
		fprintf(stderr, "example.profile: %s\n", err);
	CHECK(p.nlangs == 3 && p.langs[0] == LANG_EN);
	CHECK(!profile_offers(&p, LANG_DE) && profile_offers(&p, LANG_AR));
	CHECK(strcmp(p.help[0].phone, "+99 555 0199") == 0);
	CHECK(p.help[1].phone[0] == '\0' && p.help[1].url[0] == '\0');
}

TEST(a_text_falls_back_to_the_plain_key)
{
	char err[256];

	CHECK(parse(MINIMAL "org_name.fr = Fr\n", err) == 0);
	CHECK(strcmp(profile_text(&p.org_name, LANG_FR), "Fr") == 0);
	CHECK(strcmp(profile_text(&p.org_name, LANG_AR), "O") == 0);
}

TEST(each_mistake_names_its_line)
{
	static const struct {
		const char	*text;
		size_t		 line;
		const char	*says;
	} bad[] = {
		{ MINIMAL "colour = red\n", 6, "unknown key" },
		{ MINIMAL "emergency = police 11a7\n", 6, "emergency" },
		{ MINIMAL "emergency = firemen 118\n", 6, "emergency" },
		{ MINIMAL "emergency = police 12\n", 6, "emergency" },
		{ MINIMAL "leave_url = http://x.test/\n", 6, "https" },
		{ MINIMAL "leave_url = https://x.test/\"><b>\n", 6, "https" },
		{ MINIMAL "languages = de xx\n", 6, "xx" },
		{ MINIMAL "languages = de de\n", 6, "twice" },
		{ MINIMAL "help = shelter | A | - | -\n", 6, "KIND" },
		{ MINIMAL "help = specialist | A | - \n", 6, "KIND" },
		{ MINIMAL "help = specialist | A | 1x | -\n", 6, "KIND" },
		{ MINIMAL "help_says = always\n", 6, "help_says" },
		{ MINIMAL "org_name.zz = x\n", 6, "suffix" },
		{ MINIMAL "org_name = a\x01z\n", 6, "control" },
		{ MINIMAL "org_name = \xff\n", 6, "UTF-8" },
		{ MINIMAL "just words\n", 6, "key = value" },
		{ "site_name = S\norg_name = O\n# no url\n", 3, "leave_url" },
		{ "site_name = S\norg_name = O\nleave_url = https://x.test/\n"
		  "languages = en\n", 4, "emergency" },
	};
	char err[256];
	size_t i, got;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		got = parse(bad[i].text, err);
		if (got != bad[i].line || strstr(err, bad[i].says) == NULL) {
			fprintf(stderr, "case %zu: line %zu, \"%s\"\n", i, got,
			    err);
			CHECK(0);
		}
	}
}

TEST(limits_are_enforced)
{
	char err[256], text[4096];
	size_t i, n;

	n = (size_t)snprintf(text, sizeof(text), "%s", MINIMAL);
	for (i = 0; i < PROFILE_MAX_HELP + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "help = specialist | A%zu | - | -\n", i);
	CHECK(parse(text, err) == 6 + PROFILE_MAX_HELP);
}

TEST(the_browser_s_language_among_the_offered)
{
	unsigned en_fr_ar = 1u << LANG_EN | 1u << LANG_FR | 1u << LANG_AR;
#define NEG(s) lang_negotiate_in((s), strlen(s), en_fr_ar, LANG_EN)
	CHECK(NEG("de-CH, fr;q=0.5") == LANG_FR);	/* de not offered */
	CHECK(NEG("ar-EG") == LANG_AR);
	CHECK(NEG("de") == -1);
	CHECK(NEG("*") == LANG_EN);
#undef NEG
	CHECK(lang_rtl(LANG_AR) && lang_rtl(LANG_FA) && !lang_rtl(LANG_DE));
}

static enum ask
ask_of(const char *contact_ok, const char *contact, const char *confirm)
{
	struct report r;

	memset(&r, 0, sizeof(r));
	r.value[field_index("contact_ok")] = contact_ok;
	r.len[field_index("contact_ok")] = contact_ok ? strlen(contact_ok) : 0;
	r.value[field_index("contact")] = contact;
	r.len[field_index("contact")] = contact ? strlen(contact) : 0;
	r.confirm = confirm;
	return ask_report(&r);
}

TEST(contradicting_contact_answers_are_asked_about)
{
	CHECK(ask_of("yes", NULL, NULL) == ASK_CONTACT_HOW);
	CHECK(ask_of("yes", " \n", NULL) == ASK_CONTACT_HOW);
	CHECK(ask_of("no", "+41 79 000 00 00", NULL) == ASK_CONTACT_KEEP);
	CHECK(ask_of("yes", "signal: x", NULL) == ASK_NONE);
	CHECK(ask_of("no", NULL, NULL) == ASK_NONE);
	CHECK(ask_of(NULL, "x@example.org", NULL) == ASK_NONE);
	CHECK(ask_of(NULL, NULL, NULL) == ASK_NONE);
	/* "Send as it is" answers the question */
	CHECK(ask_of("yes", NULL, "contact") == ASK_NONE);
	CHECK(ask_of("no", "x", "contact") == ASK_NONE);
	CHECK(ask_of("no", "x", "other") == ASK_CONTACT_KEEP);
}

int
main(void)
{
	RUN(the_shipped_profiles_parse);
	RUN(a_text_falls_back_to_the_plain_key);
	RUN(each_mistake_names_its_line);
	RUN(limits_are_enforced);
	RUN(the_browser_s_language_among_the_offered);
	RUN(contradicting_contact_answers_are_asked_about);
	return T_DONE();
}
