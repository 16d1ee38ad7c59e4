/*
 * The field table. Values of choices are stable identifiers stored in
 * records; labels are for people and may change. Maximum lengths are in
 * Unicode code points and are documented in docs/FORMATS.md.
 */
#include <string.h>

#include "fields.h"
#include "limits.h"

static const struct choice types[] = {
	{ "sexual", "Sexual exploitation" },
	{ "labour", "Labour exploitation (including domestic work)" },
	{ "begging", "Forced begging" },
	{ "criminality", "Forced criminality" },
	{ "organs", "Organ removal" },
	{ "smuggling", "Migrant smuggling" },
	{ "other", "Other / not sure" },
	{ NULL, NULL }
};

static const struct choice cantons[] = {
	{ "AG", "Aargau" }, { "AI", "Appenzell Innerrhoden" },
	{ "AR", "Appenzell Ausserrhoden" }, { "BE", "Bern" },
	{ "BL", "Basel-Landschaft" }, { "BS", "Basel-Stadt" },
	{ "FR", "Fribourg" }, { "GE", "Geneva" }, { "GL", "Glarus" },
	{ "GR", "Graubünden" }, { "JU", "Jura" }, { "LU", "Lucerne" },
	{ "NE", "Neuchâtel" }, { "NW", "Nidwalden" }, { "OW", "Obwalden" },
	{ "SG", "St. Gallen" }, { "SH", "Schaffhausen" },
	{ "SO", "Solothurn" }, { "SZ", "Schwyz" }, { "TG", "Thurgau" },
	{ "TI", "Ticino" }, { "UR", "Uri" }, { "VD", "Vaud" },
	{ "VS", "Valais" }, { "ZG", "Zug" }, { "ZH", "Zurich" },
	{ "abroad", "Abroad" }, { "unknown", "Unknown" },
	{ NULL, NULL }
};

static const struct choice yesno[] = {
	{ "yes", "Yes" }, { "no", "No" }, { "unknown", "Don't know" },
	{ NULL, NULL }
};

static const struct choice sources[] = {
	{ "saw", "I saw it myself" },
	{ "affected", "I am or was affected myself" },
	{ "professional", "Through my work (NGO or authority)" },
	{ "heard", "I heard it from someone" },
	{ "other", "Other" },
	{ NULL, NULL }
};

static const struct choice contact_ok[] = {
	{ "yes", "Yes, you may contact me" },
	{ "no", "No, please do not contact me" },
	{ NULL, NULL }
};

#define G_WHAT	"What happened"
#define G_WHERE	"Where"
#define G_WHEN	"When"
#define G_PEOPLE "The people affected"
#define G_SUSP	"The suspects"
#define G_HOW	"How you know"
#define G_CONT	"Contact (optional)"

const struct field fields[] = {
	{ "type", G_WHAT, "Type of exploitation", "Choose what fits best.",
	  FIELD_CHOICE, 0, 0, types },
	{ "description", G_WHAT, "What did you see or hear?",
	  "Describe what happened, in your own words.",
	  FIELD_TEXT, 10000, 1, NULL },
	{ "canton", G_WHERE, "Canton", NULL, FIELD_CHOICE, 0, 0, cantons },
	{ "municipality", G_WHERE, "Municipality", NULL, FIELD_LINE, 200, 0,
	  NULL },
	{ "address", G_WHERE, "Address or landmark", NULL, FIELD_LINE, 300, 0,
	  NULL },
	{ "place_type", G_WHERE, "Type of place or business",
	  "For example: bar, farm, private household, construction site.",
	  FIELD_LINE, 200, 0, NULL },
	{ "when", G_WHEN, "Date or period", "For example: since March 2026.",
	  FIELD_LINE, 200, 0, NULL },
	{ "ongoing", G_WHEN, "Is it still going on?", NULL, FIELD_CHOICE, 0,
	  0, yesno },
	{ "victims_count", G_PEOPLE, "How many people are affected?", NULL,
	  FIELD_LINE, 100, 0, NULL },
	{ "victims_ages", G_PEOPLE, "Approximate ages", NULL, FIELD_LINE, 100,
	  0, NULL },
	{ "minors", G_PEOPLE, "Are minors involved?", NULL, FIELD_CHOICE, 0, 0,
	  yesno },
	{ "victims_gender", G_PEOPLE, "Gender", NULL, FIELD_LINE, 100, 0,
	  NULL },
	{ "victims_origin", G_PEOPLE, "Nationality or language", NULL,
	  FIELD_LINE, 200, 0, NULL },
	{ "suspects", G_SUSP, "Description of the suspects",
	  "Appearance, how many, anything you noticed.",
	  FIELD_TEXT, 2000, 0, NULL },
	{ "suspect_names", G_SUSP, "Names or aliases", NULL, FIELD_LINE, 500,
	  0, NULL },
	{ "suspect_role", G_SUSP, "Their role", "For example: employer, "
	  "driver, landlord.", FIELD_LINE, 500, 0, NULL },
	{ "vehicles", G_SUSP, "Vehicles", "Make, colour, licence plate.",
	  FIELD_TEXT, 1000, 0, NULL },
	{ "online", G_SUSP, "Phone numbers, web addresses, usernames or ads",
	  NULL, FIELD_TEXT, 2000, 0, NULL },
	{ "source", G_HOW, "How do you know about this?", NULL, FIELD_CHOICE,
	  0, 0, sources },
	{ "contact_ok", G_CONT, "May we contact you?", NULL, FIELD_CHOICE, 0,
	  0, contact_ok },
	{ "contact", G_CONT, "How can we reach you?",
	  "Only if you want us to. A phone number or e-mail address can "
	  "identify you.", FIELD_LINE, 500, 0, NULL },
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
    "raise MAX_FIELDS in limits.h");
