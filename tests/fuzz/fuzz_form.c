/*
 * Fuzzes the report intake as tipline-fcgi runs it on a POST body:
 * form_parse (application/x-www-form-urlencoded), form_check against the
 * field table, the form page rendered back with the reporter's values
 * (page_fields, page_error_summary), and for a valid report the JSON
 * record that would be sealed (record_build), read back as the CLI reads
 * it (record_parse): what the reporter typed must come out unchanged.
 */
#include <string.h>

#include "fuzz.h"

#include "form.h"
#include "page.h"
#include "record.h"
#include "utf8.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	record_init();
	return 0;
}

/* What form_parse promises about each pair. */
static void
check_pairs(const struct form *f)
{
	size_t i;

	FUZZ_CHECK(f->n <= MAX_FORM_PAIRS);
	for (i = 0; i < f->n; i++) {
		FUZZ_CHECK(f->pairs[i].namelen >= 1);
		FUZZ_CHECK(f->pairs[i].namelen <= MAX_FIELD_NAME);
		FUZZ_CHECK(f->pairs[i].valuelen <= MAX_FIELD_BYTES);
		FUZZ_CHECK(f->pairs[i].name[f->pairs[i].namelen] == '\0');
		FUZZ_CHECK(f->pairs[i].value[f->pairs[i].valuelen] == '\0');
	}
}

/* A value form_check accepted is valid UTF-8 within the field's length,
 * one of the listed values for a choice, and free of control characters
 * (multi-line text may hold line breaks and tabs). */
static void
check_accepted(const struct report *r)
{
	size_t i, j, count;

	for (i = 0; i < nfields; i++) {
		if (r->value[i] == NULL || r->err[i] != FE_NONE)
			continue;
		FUZZ_CHECK(utf8_valid((const unsigned char *)r->value[i],
		    r->len[i], &count));
		FUZZ_CHECK(fields[i].kind == FIELD_CHOICE ||
		    count <= fields[i].max);
		if (fields[i].kind == FIELD_CHOICE)
			FUZZ_CHECK(r->len[i] == 0 ||
			    field_choice_label(&fields[i], r->value[i]));
		for (j = 0; j < r->len[i]; j++)
			FUZZ_CHECK((unsigned char)r->value[i][j] >= 0x20 ||
			    (fields[i].kind == FIELD_TEXT &&
			    (r->value[i][j] == '\n' || r->value[i][j] == '\t')));
	}
}

/* The record of a valid report reads back to the same values. */
static void
check_record(const struct report *r)
{
	struct record rec;
	char *json;
	size_t i;

	json = record_build(r, "en");
	FUZZ_CHECK(json != NULL);
	FUZZ_CHECK(record_parse(json, strlen(json), &rec) == REC_OK);
	for (i = 0; i < nfields; i++) {
		if (r->value[i] == NULL || r->len[i] == 0) {
			FUZZ_CHECK(rec.value[i] == NULL);
			continue;
		}
		FUZZ_CHECK(rec.value[i] != NULL && rec.len[i] == r->len[i]);
		FUZZ_CHECK(memcmp(rec.value[i], r->value[i], r->len[i]) == 0);
	}
	record_free(&rec);
	record_free_string(json);
}

static void
render(const struct report *r)
{
	struct buf b;

	buf_init(&b, 4 * 1024 * 1024);
	page_error_summary(&b, NULL, r, r->general != FG_NONE ?
	    page_msgs[MSG_UNEXPECTED] : NULL, 0);
	page_fields(&b, NULL, r);
	FUZZ_CHECK(!b.failed);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f;
	struct report r;

	if (form_parse((const char *)data, size, &f) != FORM_OK) {
		FUZZ_CHECK(f.buf == NULL && f.n == 0);
		return 0;
	}
	check_pairs(&f);
	if (form_check(&f, &r) == 0) {
		FUZZ_CHECK(r.nerr == 0 && r.general == FG_NONE);
		check_record(&r);
	}
	check_accepted(&r);
	render(&r);
	form_free(&f);
	return 0;
}
