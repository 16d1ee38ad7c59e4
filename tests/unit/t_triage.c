/* Triage: the status table, the urgency flags on crafted records, and
 * input as people type it (references, choices, days), as tables of
 * accepted and refused inputs. */
#include <string.h>

#include "t.h"

#include "fields.h"
#include "flag.h"
#include "input.h"
#include "record.h"
#include "status.h"
#include "store.h"

TEST(one_status_table_for_store_and_events)
{
	int i;

	CHECK(nstatuses == 5);
	CHECK(strcmp(status_list(), "new, in-review, forwarded, closed or "
	    "spam") == 0);
	for (i = 0; i < nstatuses; i++) {
		CHECK(store_valid_status(status_table[i].name));
		CHECK(status_index(status_table[i].name) == i);
	}
	CHECK(!store_valid_status("bogus") && !store_valid_status(NULL));
	CHECK(status_index("New") == -1);
}

struct flag_case_row {
	const char	*json;
	const char	*status, *day;
	const char	*letters;
};

/* Every flag and both contradictions, and the absence of each. */
static const struct flag_case_row rows[] = {
	{ "{}", "new", "2026-11-30", "-" },
	{ "{\"minors\":\"yes\"}", "new", "2026-11-30", "M" },
	{ "{\"minors\":\"unknown\"}", "new", "2026-11-30", "-" },
	{ "{\"ongoing\":\"yes\"}", "new", "2026-11-30", "O" },
	{ "{\"ongoing\":\"no\"}", "new", "2026-11-30", "-" },
	{ "{\"source\":\"affected\"}", "new", "2026-11-30", "A" },
	{ "{\"source\":\"saw\"}", "new", "2026-11-30", "-" },
	{ "{\"contact_ok\":\"yes\",\"contact\":\"+41 79\"}", "new",
	  "2026-11-30", "C" },
	{ "{\"contact_ok\":\"yes\"}", "new", "2026-11-30", "CN" },
	{ "{\"contact_ok\":\"yes\",\"contact\":\"  \\n\"}", "new",
	  "2026-11-30", "CN" },
	{ "{\"contact_ok\":\"no\",\"contact\":\"me@x.ch\"}", "new",
	  "2026-11-30", "R" },
	{ "{\"contact_ok\":\"no\"}", "new", "2026-11-30", "-" },
	{ "{\"contact\":\"me@x.ch\"}", "new", "2026-11-30", "-" },
	{ "{}", "new", "2026-11-22", "L" },
	{ "{}", "in-review", "2026-11-22", "-" },
	{ "{}", "new", "2026-11-23", "-" },
	{ "{\"minors\":\"yes\",\"ongoing\":\"yes\",\"source\":\"affected\","
	  "\"contact_ok\":\"yes\"}", "new", "2020-01-01", "MOACNL" },
};

/* Flag I is the case's (cli/messages.c computes it), not the record's. */
TEST(flags_i_and_d_follow_the_case_not_the_record)
{
	struct flag_case c = { "new", "2026-11-23", NULL, 1, 0 };
	struct record rec;
	const char *json = "{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{}}";
	char got[33];

	CHECK(record_parse(json, strlen(json), &rec) == REC_OK);
	flag_letters(flag_compute(&rec, &c), got);
	CHECK(strcmp(got, "I") == 0);
	c.reporter_new = 0;
	flag_letters(flag_compute(&rec, &c), got);
	CHECK(strcmp(got, "-") == 0);
	c.reply_due = 1;
	flag_letters(flag_compute(&rec, &c), got);
	CHECK(strcmp(got, "D") == 0);
	record_free(&rec);
}

TEST(flags_on_crafted_records_every_flag_and_contradiction)
{
	struct flag_case c = { NULL, NULL, "2026-11-23", 0, 0 };
	struct record rec;
	char json[512], got[33];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(json, sizeof(json), "{\"v\":1,\"form\":1,\"lang\":"
		    "\"en\",\"fields\":%s}", rows[i].json);
		CHECK(record_parse(json, strlen(json), &rec) == REC_OK);
		c.status = rows[i].status;
		c.day = rows[i].day;
		flag_letters(flag_compute(&rec, &c), got);
		if (strcmp(got, rows[i].letters) != 0) {
			fprintf(stderr, "row %zu: %s, not %s\n", i, got,
			    rows[i].letters);
			CHECK(0);
		}
		record_free(&rec);
	}
}

TEST(flag_names_letters_and_the_urgent_set)
{
	int i, j;

	for (i = 0; i < nflags; i++) {
		CHECK(flag_bit(flag_table[i].name) == 1u << i);
		CHECK(flag_table[i].letter >= 'A' && flag_table[i].letter <= 'Z');
		for (j = 0; j < i; j++)
			CHECK(flag_table[i].letter != flag_table[j].letter);
	}
	CHECK(flag_bit("nope") == 0);
	CHECK(flag_urgent() == (flag_bit("minors") | flag_bit("ongoing") |
	    flag_bit("affected")));
}

TEST(references_as_people_type_them)
{
	static const char *const ok[][2] = {
		{ "TL-7KQ2-M9XD", "TL-7KQ2-M9XD" },
		{ "tl-7kq2-m9xd", "TL-7KQ2-M9XD" },
		{ "7kq2m9xd", "TL-7KQ2-M9XD" },
		{ "7KQ2-M9XD", "TL-7KQ2-M9XD" },
		{ "TL7KQ2M9XD", "TL-7KQ2-M9XD" },
		{ "tl 7kq2 m9xd", "TL-7KQ2-M9XD" },
		{ "TL-O0I1-LlOo", "TL-0011-1100" },
		{ "tl-xhwe-hehp", "TL-XHWE-HEHP" },
		{ "TL--7KQ2--M9XD", "TL-7KQ2-M9XD" },
	};
	static const char *const bad[] = {
		"", "TL-", "TL-7KQ2-M9X", "TL-7KQ2-M9XDD", "TL-7KQU-M9XD",
		"TL-7KQ2-M9X!", "XX-7KQ2-M9XD", "7KQ2M9X", "7KQ2M9XD1",
		"TL-7KQ2-M9XD-7KQ2", "TL-7KQ\xc3\xa9-M9XD", "TL-7KQ2-M9X\n",
	};
	char out[REF_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(out, 0, sizeof(out));
		CHECK(input_ref(ok[i][0], out) == 0);
		if (strcmp(out, ok[i][1]) != 0) {
			fprintf(stderr, "%s -> %s\n", ok[i][0], out);
			CHECK(0);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (input_ref(bad[i], out) != -1) {
			fprintf(stderr, "accepted %s\n", bad[i]);
			CHECK(0);
		}
}

TEST(choices_in_any_case)
{
	const struct field *canton = field_find("canton");

	CHECK(strcmp(input_choice(canton, "zh"), "ZH") == 0);
	CHECK(strcmp(input_choice(canton, "Zh"), "ZH") == 0);
	CHECK(strcmp(input_choice(canton, "ABROAD"), "abroad") == 0);
	CHECK(strcmp(input_choice(field_find("type"), "Labour"), "labour")
	    == 0);
	CHECK(input_choice(canton, "z") == NULL);
	CHECK(input_choice(canton, "zhx") == NULL);
	CHECK(input_choice(canton, "") == NULL);
	CHECK(input_choice(canton, "XX") == NULL);
	CHECK(input_choice(field_find("municipality"), "x") == NULL);
}

TEST(days_as_people_type_them)
{
	/* 2026-11-30 12:00 UTC */
	const time_t now = 1796040000;
	static const char *const ok[][2] = {
		{ "2026-11-30", "2026-11-30" },
		{ "30.11.2026", "2026-11-30" },
		{ "1.2.2026", "2026-02-01" },
		{ "01.02.2026", "2026-02-01" },
		{ "29.2.2028", "2028-02-29" },
		{ "today", "2026-11-30" },
		{ "yesterday", "2026-11-29" },
		{ "0d", "2026-11-30" },
		{ "7d", "2026-11-23" },
		{ "30d", "2026-10-31" },
	};
	static const char *const bad[] = {
		"", "2026-02-30", "2026-13-01", "2026-1-1", "30.11.26",
		"31.11.2026", "29.2.2026", "1..2026", ".11.2026", "30.11.",
		"123.1.2026", "d", "-1d", "7", "7days", "99999d", "Today",
		"2026-11-30x", "30.11.2026.", "x.11.2026",
	};
	char out[11];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(out, 0, sizeof(out));
		CHECK(input_day(ok[i][0], now, out) == 0);
		if (strcmp(out, ok[i][1]) != 0) {
			fprintf(stderr, "%s -> %s\n", ok[i][0], out);
			CHECK(0);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (input_day(bad[i], now, out) != -1) {
			fprintf(stderr, "accepted %s\n", bad[i]);
			CHECK(0);
		}
}

/* The lean decoder against jansson: what it takes, with the values
 * jansson gives; what it leaves to jansson, valid JSON or not. */
TEST(lean_record_decoder_agrees_with_jansson_or_declines)
{
	static const char *const taken[] = {
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{}}",
		" { \"fields\" : { \"description\" : \"a\\\"b\\\\c\\/d\\n\\t"
		"\\r\\b\\f\" } , \"lang\":\"de\", \"form\" : 12 , \"v\":1 }\n",
		"{\"v\":1,\"form\":1,\"lang\":\"fr\",\"fields\":{\"description\":"
		"\"\\u00c7a \\u20ac \\ud83d\\ude00 \\u007f \xc3\xa9 \xf0\x9f\x98\x80\","
		"\"minors\":\"yes\",\"contact\":\"\"}}",
	};
	static const char *const declined[] = {
		"",
		"{}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\"}",
		"{\"v\":2,\"form\":1,\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":1.0,\"form\":1,\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":01,\"form\":1,\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":1,\"form\":-1,\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":1,\"form\":1234567890,\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":1,\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{},\"x\":0}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"new_field\":\"x\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"a\","
		"\"type\":\"b\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"typ\\u0065\":\"a\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":1}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\\u0000\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\\ud800\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\\udc00\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":"
		"\"\\ud800\\u0041\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\\x\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\\u12\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\x01\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\xc3\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"\xed\xa0"
		"\x80\"}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"abc}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{}} x",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{},}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{\"type\":\"a\",}}",
	};
	struct record full, lean;
	char buf[512];
	size_t i, k, n;

	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		n = strlen(taken[i]);
		memcpy(buf, taken[i], n + 1);
		CHECK(record_parse(taken[i], n, &full) == REC_OK);
		if (record_decode(buf, n, &lean) != REC_OK) {
			fprintf(stderr, "declined taken[%zu]\n", i);
			CHECK(0);
			record_free(&full);
			continue;
		}
		CHECK(lean.root == NULL && lean.form == full.form);
		CHECK(strcmp(lean.lang, full.lang) == 0);
		for (k = 0; k < nfields; k++) {
			CHECK((lean.value[k] == NULL) == (full.value[k] == NULL));
			if (lean.value[k] != NULL)
				CHECK(lean.len[k] == full.len[k] &&
				    memcmp(lean.value[k], full.value[k],
				    lean.len[k] + 1) == 0);
		}
		record_free(&full);
	}
	for (i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
		n = strlen(declined[i]);
		memcpy(buf, declined[i], n + 1);
		if (record_decode(buf, n, &lean) != REC_E_LEAN) {
			fprintf(stderr, "took declined[%zu]\n", i);
			CHECK(0);
		}
		CHECK(lean.lang == NULL && lean.value[0] == NULL);
	}
}

int
main(void)
{
	record_init();
	RUN(one_status_table_for_store_and_events);
	RUN(flags_on_crafted_records_every_flag_and_contradiction);
	RUN(flags_i_and_d_follow_the_case_not_the_record);
	RUN(flag_names_letters_and_the_urgent_set);
	RUN(references_as_people_type_them);
	RUN(choices_in_any_case);
	RUN(days_as_people_type_them);
	RUN(lean_record_decoder_agrees_with_jansson_or_declines);
	return T_DONE();
}
