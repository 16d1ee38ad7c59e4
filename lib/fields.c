/*
 * The field table. Values of choices are stable identifiers stored in
 * records; labels are for people and may change. Maximum lengths are in
 * Unicode code points and are documented in docs/FORMATS.md. Groups,
 * labels, hints and choice labels are English msgids marked with N_():
 * the pages look them up in the reader's language (html/locale/LANG.po);
 * the CLI shows them as they are.
 */
#include <string.h>

#include "catalog.h"
#include "fields.h"
#include "bounds.h"

static const struct choice types[] = {
	{ "sexual", N_("Sexual exploitation") },
	{ "labour", N_("Labour exploitation (including domestic work)") },
	{ "begging", N_("Forced begging") },
	{ "criminality", N_("Forced criminality") },
	{ "organs", N_("Organ removal") },
	{ "smuggling", N_("Migrant smuggling") },
	{ "other", N_("Other / not sure") },
	{ NULL, NULL }
};

static const struct choice cantons[] = {
	{ "AG", N_("Aargau") }, { "AI", N_("Appenzell Innerrhoden") },
	{ "AR", N_("Appenzell Ausserrhoden") }, { "BE", N_("Bern") },
	{ "BL", N_("Basel-Landschaft") }, { "BS", N_("Basel-Stadt") },
	{ "FR", N_("Fribourg") }, { "GE", N_("Geneva") },
	{ "GL", N_("Glarus") }, { "GR", N_("Graubünden") },
	{ "JU", N_("Jura") }, { "LU", N_("Lucerne") },
	{ "NE", N_("Neuchâtel") }, { "NW", N_("Nidwalden") },
	{ "OW", N_("Obwalden") }, { "SG", N_("St. Gallen") },
	{ "SH", N_("Schaffhausen") }, { "SO", N_("Solothurn") },
	{ "SZ", N_("Schwyz") }, { "TG", N_("Thurgau") },
	{ "TI", N_("Ticino") }, { "UR", N_("Uri") }, { "VD", N_("Vaud") },
	{ "VS", N_("Valais") }, { "ZG", N_("Zug") }, { "ZH", N_("Zurich") },
	{ "abroad", N_("Abroad") }, { "unknown", N_("Unknown") },
	{ NULL, NULL }
};

static const struct choice yesno[] = {
	{ "yes", N_("Yes") }, { "no", N_("No") },
	{ "unknown", N_("Don't know") },
	{ NULL, NULL }
};

static const struct choice sources[] = {
	{ "saw", N_("I saw it myself") },
	{ "affected", N_("I am or was affected myself") },
	{ "professional", N_("Through my work (NGO or authority)") },
	{ "heard", N_("I heard it from someone") },
	{ "other", N_("Other") },
	{ NULL, NULL }
};

static const struct choice contact_ok[] = {
	{ "yes", N_("Yes, you may contact me") },
	{ "no", N_("No, please do not contact me") },
	{ NULL, NULL }
};

/* Groups are what the page folds: every group after the first is
 * closed until opened (cgi/page.c), so the order here is the order of
 * importance. */
#define G_WHAT	N_("What happened")
#define G_WHERE	N_("Where and when")
#define G_PEOPLE N_("The people affected")
#define G_SUSP	N_("The suspects")
#define G_TRACE	N_("Vehicles and online traces")
#define G_YOU	N_("About you")

const struct field fields[] = {
	{ "description", G_WHAT, N_("What did you see or hear?"),
	  N_("Describe what happened, in your own words: who, what, where "
	  "and when, as far as you know."), FIELD_TEXT, 10000, 1, NULL },
	{ "type", G_WHAT, N_("Type of exploitation"),
	  N_("Choose what fits best."), FIELD_CHOICE, 0, 0, types },
	{ "canton", G_WHERE, N_("Canton"), N_("The canton where it "
	  "happened."), FIELD_CHOICE, 0, 0, cantons },
	{ "municipality", G_WHERE, N_("Municipality"), N_("Town, village or "
	  "district."), FIELD_LINE, 200, 0, NULL },
	{ "address", G_WHERE, N_("Address or landmark"), N_("A street, a "
	  "building or a place people know."), FIELD_LINE, 300, 0, NULL },
	{ "place_type", G_WHERE, N_("Type of place or business"),
	  N_("For example: bar, farm, private household, construction "
	  "site."), FIELD_LINE, 200, 0, NULL },
	{ "when", G_WHERE, N_("Date or period"), N_("For example: since "
	  "March 2026."), FIELD_LINE, 200, 0, NULL },
	{ "ongoing", G_WHERE, N_("Is it still going on?"), N_("As far as you "
	  "know."), FIELD_CHOICE, 0, 0, yesno },
	{ "victims_count", G_PEOPLE, N_("How many people are affected?"),
	  N_("An estimate is fine."), FIELD_LINE, 100, 0, NULL },
	{ "victims_ages", G_PEOPLE, N_("Approximate ages"), N_("For example: "
	  "18 to 25."), FIELD_LINE, 100, 0, NULL },
	{ "minors", G_PEOPLE, N_("Are minors involved?"), N_("Minors are "
	  "people under 18."), FIELD_CHOICE, 0, 0, yesno },
	{ "victims_gender", G_PEOPLE, N_("Gender"), N_("For example: women, "
	  "men, both."), FIELD_LINE, 100, 0, NULL },
	{ "victims_origin", G_PEOPLE, N_("Nationality or language"),
	  N_("Only what you know or heard."), FIELD_LINE, 200, 0, NULL },
	{ "suspects", G_SUSP, N_("Description of the suspects"),
	  N_("Appearance, how many, anything you noticed."), FIELD_TEXT,
	  2000, 0, NULL },
	{ "suspect_names", G_SUSP, N_("Names or aliases"), N_("Only if you "
	  "know them."), FIELD_LINE, 500, 0, NULL },
	{ "suspect_role", G_SUSP, N_("Their role"), N_("For example: "
	  "employer, driver, landlord."), FIELD_LINE, 500, 0, NULL },
	{ "vehicles", G_TRACE, N_("Vehicles"), N_("Make, colour, licence "
	  "plate."), FIELD_TEXT, 1000, 0, NULL },
	{ "online", G_TRACE, N_("Phone numbers, web addresses, usernames or "
	  "ads"), N_("Copy them exactly as you saw them."), FIELD_TEXT, 2000,
	  0, NULL },
	{ "source", G_YOU, N_("How do you know about this?"), N_("This helps "
	  "us weigh the information. It does not identify you."),
	  FIELD_CHOICE, 0, 0, sources },
	{ "contact_ok", G_YOU, N_("May we contact you?"), N_("We contact "
	  "you only if you allow it."), FIELD_CHOICE, 0, 0, contact_ok },
	{ "contact", G_YOU, N_("How can we reach you?"), N_("Only if you "
	  "want us to. A phone number or e-mail address can identify you."),
	  FIELD_LINE, 500, 0, NULL },
};

const size_t nfields = sizeof(fields) / sizeof(fields[0]);

int
field_index(const char *name)
{
	size_t i;

	for (i = 0; i < nfields; i++)
		if (strcmp(fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct field *
field_find(const char *name)
{
	int i = field_index(name);

	return i < 0 ? NULL : &fields[i];
}

const char *
field_choice_label(const struct field *f, const char *value)
{
	const struct choice *c;

	if (f->choices == NULL)
		return NULL;
	for (c = f->choices; c->value != NULL; c++)
		if (strcmp(c->value, value) == 0)
			return c->label;
	return NULL;
}

_Static_assert(sizeof(fields) / sizeof(fields[0]) <= MAX_FIELDS,
    "raise MAX_FIELDS in bounds.h");
