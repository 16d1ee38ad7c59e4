/* The record: built with jansson from a checked report, read back by
 * the CLI's parser, which refuses anything that is not a record v1. */
#include "t.h"

#include "record.h"

TEST(build_then_parse_round_trips)
{
	const char *body = "description=He+said+%22no%22%0D%0A%3Cb%3E%5C&"
	    "type=labour&canton=ZH&municipality=";
	struct form f;
	struct report r;
	struct record rec;
	char *s;
	int d = field_index("description");

	CHECK(form_parse(body, strlen(body), &f) == FORM_OK);
	CHECK(form_check(&f, &r) == 0);
	s = record_build(&r, "de");
	CHECK(s != NULL);
	CHECK(strstr(s, "municipality") == NULL);	/* empty: absent */
	CHECK(strncmp(s, "{\"v\":1,\"form\":1,\"lang\":\"de\",\"fields\":{",
	    38) == 0);
	CHECK(record_parse(s, strlen(s), &rec) == REC_OK);
	CHECK(strcmp(rec.value[d], "He said \"no\"\n<b>\\") == 0);
	CHECK(strcmp(rec.value[field_index("canton")], "ZH") == 0);
	CHECK(strcmp(rec.lang, "de") == 0 && rec.form == FORM_VERSION);
	record_free(&rec);
	record_free_string(s);
	form_free(&f);
}

TEST(parse_refuses_what_is_not_a_record)
{
	static const char *bad[] = {
		"", "null", "[]", "{", "{\"v\":1}",
		"{\"v\":2,\"form\":1,\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":[]}",
		"{\"v\":1,\"form\":\"1\",\"lang\":\"en\",\"fields\":{}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":"
		    "{\"description\":5}}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":{},\"v\":1}",
		"{\"v\":1,\"form\":1,\"lang\":\"en\",\"fields\":"
		    "{\"description\":\"\xff\"}}",
	};
	struct record rec;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(record_parse(bad[i], strlen(bad[i]), &rec) != REC_OK);
}

TEST(parse_keeps_unknown_fields_out_of_the_table)
{
	const char *s = "{\"v\":1,\"form\":2,\"lang\":\"en\",\"fields\":"
	    "{\"future\":\"x\",\"description\":\"d\"}}";
	struct record rec;

	CHECK(record_parse(s, strlen(s), &rec) == REC_OK);
	CHECK(strcmp(rec.value[field_index("description")], "d") == 0);
	record_free(&rec);
}

int
main(void)
{
	record_init();
	RUN(build_then_parse_round_trips);
	RUN(parse_refuses_what_is_not_a_record);
	RUN(parse_keeps_unknown_fields_out_of_the_table);
	return T_DONE();
}
