/* Form parsing (percent-decoding, '+', duplicates, limits) and
 * validation of every field in the table. */
#include "t.h"

#include "fields.h"
#include "form.h"
#include "token.h"

static enum form_err
parse(const char *s, struct form *f)
{
	return form_parse(s, strlen(s), f);
}

TEST(decodes_percent_and_plus)
{
	struct form f;

	CHECK(parse("a=x+y%20z%2B%c3%a9&b=%41", &f) == FORM_OK);
	CHECK(f.n == 2);
	CHECK(strcmp(f.pairs[0].name, "a") == 0);
	CHECK(strcmp(f.pairs[0].value, "x y z+\xc3\xa9") == 0);
	CHECK(strcmp(f.pairs[1].value, "A") == 0);
	form_free(&f);
}

TEST(skips_empty_sequences_and_keeps_empty_values)
{
	struct form f;

	CHECK(parse("&&a=&b&", &f) == FORM_OK);
	CHECK(f.n == 2);
	CHECK(f.pairs[0].valuelen == 0 && f.pairs[1].valuelen == 0);
	CHECK(strcmp(f.pairs[1].name, "b") == 0);
	form_free(&f);
	CHECK(parse("", &f) == FORM_OK && f.n == 0);
	form_free(&f);
}

TEST(rejects_bad_percent_encoding)
{
	struct form f;

	CHECK(parse("a=%", &f) == FORM_E_ENCODING);
	CHECK(parse("a=%4", &f) == FORM_E_ENCODING);
	CHECK(parse("a=%zz", &f) == FORM_E_ENCODING);
	CHECK(parse("a%g1=1", &f) == FORM_E_ENCODING);
	CHECK(parse("a=%%41", &f) == FORM_E_ENCODING);
}

TEST(keeps_nul_bytes_with_their_length)
{
	struct form f;

	CHECK(parse("a=x%00y", &f) == FORM_OK);
	CHECK(f.pairs[0].valuelen == 3 && f.pairs[0].value[1] == '\0');
	form_free(&f);
}

TEST(limits_pairs_names_and_values)
{
	struct form f;
	char *big;
	size_t i, n;

	n = (MAX_FORM_PAIRS + 1) * 2;
	big = malloc(n + 1);
	for (i = 0; i < n; i += 2)
		memcpy(big + i, "a&", 2);
	big[n] = '\0';
	CHECK(parse(big, &f) == FORM_E_TOO_MANY);
	big[MAX_FORM_PAIRS * 2 - 1] = '\0';	/* exactly the maximum */
	CHECK(parse(big, &f) == FORM_OK && f.n == MAX_FORM_PAIRS);
	form_free(&f);
	free(big);
	CHECK(parse("abcdefghijabcdefghijabcdefghijabc=1", &f) == FORM_E_NAME);
	CHECK(parse("=1", &f) == FORM_E_NAME);
	big = malloc(MAX_FIELD_BYTES + 8);
	memcpy(big, "a=", 2);
	memset(big + 2, 'x', MAX_FIELD_BYTES + 1);
	big[MAX_FIELD_BYTES + 3] = '\0';
	CHECK(parse(big, &f) == FORM_E_VALUE);
	big[MAX_FIELD_BYTES + 2] = '\0';
	CHECK(parse(big, &f) == FORM_OK);
	form_free(&f);
	free(big);
}

/* Parses and checks s; returns form_check's result. */
static int
check(const char *s, struct form *f, struct report *r)
{
	if (parse(s, f) != FORM_OK)
		return -2;
	return form_check(f, r);
}

/* A token's worth of base64url characters (not a valid MAC: the form
 * checks only its shape; token_check does the rest). */
#define TOK "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_"

TEST(accepts_a_minimal_report)
{
	struct form f;
	struct report r;

	CHECK(strlen(TOK) == TOKEN_CHARS);
	CHECK(check("description=Hello&token=" TOK "&lang=fr&website=", &f,
	    &r) == 0);
	CHECK(r.nerr == 0 && r.general == FG_NONE);
	CHECK(strcmp(r.value[field_index("description")], "Hello") == 0);
	CHECK(strcmp(r.token, TOK) == 0 && strcmp(r.lang, "fr") == 0);
	CHECK(!r.bot);
	form_free(&f);
}

/* issue 11 item 6: the hidden names skipped the checks and were read
 * with strlen(), so "%00..." in the honeypot passed as empty and a
 * token followed by "%00junk" passed as the token. */
TEST(hidden_fields_get_the_same_checks_as_visible_ones)
{
	static const char *bad_token[] = {
		"description=x&token=" TOK "%00junk",
		"description=x&token=" TOK "A",
		"description=x&token=t",
		"description=x&token=",
		"description=x&token=%00" TOK,
		"description=x&token=" TOK "%0A",
	};
	static const char *bad_lang[] = {
		"description=x&lang=fr%00junk", "description=x&lang=f%1Br",
		"description=x&lang=", "description=x&lang=%FF%FF",
		"description=x&lang=abcdefghi",
	};
	struct form f;
	struct report r;
	size_t i;

	for (i = 0; i < sizeof(bad_token) / sizeof(bad_token[0]); i++) {
		CHECK(check(bad_token[i], &f, &r) == -1);
		CHECK(r.token == NULL && r.general == FG_HIDDEN);
		form_free(&f);
	}
	for (i = 0; i < sizeof(bad_lang) / sizeof(bad_lang[0]); i++) {
		CHECK(check(bad_lang[i], &f, &r) == -1);
		CHECK(r.lang == NULL && r.general == FG_HIDDEN);
		form_free(&f);
	}
}

TEST(any_byte_in_the_honeypot_marks_a_bot)
{
	static const char *bot[] = {
		"description=x&website=%00", "description=x&website=%00http",
		"description=x&website=a", "description=x&website=%1B",
		"description=x&website=%FF",
	};
	struct form f;
	struct report r;
	size_t i;

	for (i = 0; i < sizeof(bot) / sizeof(bot[0]); i++) {
		CHECK(check(bot[i], &f, &r) == -1);
		CHECK(r.bot);
		form_free(&f);
	}
	CHECK(check("description=x&website=", &f, &r) == 0 && !r.bot);
	form_free(&f);
	CHECK(check("description=x&website=&website=", &f, &r) == -1);
	CHECK(r.general == FG_DUPLICATE);
	form_free(&f);
}

TEST(requires_the_description)
{
	struct form f;
	struct report r;
	int d = field_index("description");

	CHECK(check("type=labour", &f, &r) == -1);
	CHECK(r.err[d] == FE_REQUIRED && r.nerr == 1);
	form_free(&f);
	CHECK(check("description=+%0D%0A+", &f, &r) == -1);
	CHECK(r.err[d] == FE_REQUIRED);
	form_free(&f);
}

TEST(rejects_unknown_and_duplicate_fields)
{
	struct form f;
	struct report r;

	CHECK(check("description=x&color=red", &f, &r) == -1);
	CHECK(r.general == FG_UNKNOWN);
	form_free(&f);
	CHECK(check("description=x&description=y", &f, &r) == -1);
	CHECK(r.general == FG_DUPLICATE);
	form_free(&f);
	CHECK(check("description=x&token=a&token=b", &f, &r) == -1);
	CHECK(r.general == FG_DUPLICATE);
	form_free(&f);
	CHECK(check("description=x&type%00=labour", &f, &r) == -1);
	CHECK(r.general == FG_UNKNOWN);
	form_free(&f);
}

TEST(checks_every_choice_field)
{
	struct form f;
	struct report r;
	const struct choice *c;
	char body[256];
	size_t i;

	for (i = 0; i < nfields; i++) {
		if (fields[i].kind != FIELD_CHOICE)
			continue;
		for (c = fields[i].choices; c->value != NULL; c++) {
			snprintf(body, sizeof(body), "description=x&%s=%s",
			    fields[i].name, c->value);
			CHECK(check(body, &f, &r) == 0);
			form_free(&f);
		}
		snprintf(body, sizeof(body), "description=x&%s=nonsense",
		    fields[i].name);
		CHECK(check(body, &f, &r) == -1 && r.err[i] == FE_CHOICE);
		form_free(&f);
		snprintf(body, sizeof(body), "description=x&%s=",
		    fields[i].name);
		CHECK(check(body, &f, &r) == 0);	/* not chosen: fine */
		form_free(&f);
	}
}

/* A body with field i set to n copies of the UTF-8 character ch. */
static char *
long_body(size_t i, size_t n, const char *ch)
{
	size_t cl = strlen(ch), off;
	char *b = malloc(64 + n * cl);

	off = (size_t)sprintf(b, "description=x&%s=", fields[i].name);
	if (strcmp(fields[i].name, "description") == 0)
		off = (size_t)sprintf(b, "description=");
	for (; n > 0; n--, off += cl)
		memcpy(b + off, ch, cl);
	b[off] = '\0';
	return b;
}

TEST(checks_every_text_field_length_in_characters)
{
	struct form f;
	struct report r;
	char *b;
	size_t i;

	for (i = 0; i < nfields; i++) {
		if (fields[i].kind == FIELD_CHOICE)
			continue;
		/* "é" is two bytes but one character. */
		b = long_body(i, fields[i].max, "%C3%A9");
		CHECK(check(b, &f, &r) == 0);
		form_free(&f);
		free(b);
		b = long_body(i, fields[i].max + 1, "x");
		CHECK(check(b, &f, &r) == -1 && r.err[i] == FE_TOO_LONG);
		form_free(&f);
		free(b);
	}
}

TEST(counts_crlf_as_one_character_in_text)
{
	struct form f;
	struct report r;
	int d = field_index("description");
	char *b = long_body((size_t)d, 5000, "a%0D%0A");

	CHECK(check(b, &f, &r) == 0);	/* 15,000 bytes sent, 10,000 kept */
	CHECK(r.len[d] == 10000 && r.value[d][1] == '\n');
	form_free(&f);
	free(b);
}

TEST(rejects_invalid_utf8_and_control_characters)
{
	static const char *bad[] = {
		"description=%FF", "description=%C0%AF", "description=%E0%80%AF",
		"description=%ED%A0%80", "description=%F4%90%80%80",
		"description=%C3", "description=a%00b", "description=a%1Bb",
		"description=a%7Fb", "description=a%C2%85b",
		"description=x&municipality=a%0Ab", "description=x&when=%09",
	};
	struct form f;
	struct report r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(check(bad[i], &f, &r) == -1);
		CHECK(r.nerr == 1);
		form_free(&f);
	}
	CHECK(check("description=tab%09and%0Anewline+%F0%9F%98%80", &f, &r) ==
	    0);
	form_free(&f);
}

TEST(every_field_has_a_label_and_sane_limits)
{
	size_t i;

	CHECK(nfields <= MAX_FIELDS);
	for (i = 0; i < nfields; i++) {
		CHECK(fields[i].label != NULL && fields[i].group != NULL);
		CHECK(strlen(fields[i].name) <= MAX_FIELD_NAME);
		if (fields[i].kind == FIELD_CHOICE)
			CHECK(fields[i].choices != NULL);
		else
			CHECK(fields[i].max > 0 && fields[i].max * 4 <=
			    MAX_FIELD_BYTES);
	}
	CHECK(fields[field_index("description")].max == 10000);
	CHECK(field_find("nope") == NULL);
}

int
main(void)
{
	RUN(decodes_percent_and_plus);
	RUN(skips_empty_sequences_and_keeps_empty_values);
	RUN(rejects_bad_percent_encoding);
	RUN(keeps_nul_bytes_with_their_length);
	RUN(limits_pairs_names_and_values);
	RUN(accepts_a_minimal_report);
	RUN(hidden_fields_get_the_same_checks_as_visible_ones);
	RUN(any_byte_in_the_honeypot_marks_a_bot);
	RUN(requires_the_description);
	RUN(rejects_unknown_and_duplicate_fields);
	RUN(checks_every_choice_field);
	RUN(checks_every_text_field_length_in_characters);
	RUN(counts_crlf_as_one_character_in_text);
	RUN(rejects_invalid_utf8_and_control_characters);
	RUN(every_field_has_a_label_and_sane_limits);
	return T_DONE();
}
