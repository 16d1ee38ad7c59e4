/*
 * Fuzzes record_parse, the decoder the CLI runs on every decrypted
 * report (JSON through jansson), and record_decode, the lean decoder of
 * its text output, against it: whatever the lean one accepts, jansson
 * accepts with the same values. A record comes from the server, but a
 * seized or buggy server could write anything a recipient key accepts,
 * so the CLI must treat it as hostile input.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "record.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	record_init();
	return 0;
}

/* The lean decoder on a copy (it decodes in place): when it accepts,
 * jansson accepted too, with the same language, form and values. */
static void
lean_agrees(const uint8_t *data, size_t size, enum rec_err e,
    const struct record *full)
{
	struct record lean;
	char *copy = malloc(size + 1);
	size_t i;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	if (record_decode(copy, size, &lean) == REC_OK) {
		FUZZ_CHECK(e == REC_OK && lean.root == NULL);
		FUZZ_CHECK(strcmp(lean.lang, full->lang) == 0);
		FUZZ_CHECK(lean.form == full->form);
		for (i = 0; i < nfields; i++) {
			FUZZ_CHECK((lean.value[i] == NULL) ==
			    (full->value[i] == NULL));
			if (lean.value[i] == NULL)
				continue;
			FUZZ_CHECK(lean.len[i] == full->len[i]);
			FUZZ_CHECK(memcmp(lean.value[i], full->value[i],
			    lean.len[i] + 1) == 0);
		}
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record rec;
	enum rec_err e;
	size_t i;

	e = record_parse((const char *)data, size, &rec);
	lean_agrees(data, size, e, &rec);
	if (e != REC_OK) {
		FUZZ_CHECK(e == REC_E_JSON || e == REC_E_SHAPE);
		FUZZ_CHECK(rec.root == NULL);
		return 0;
	}
	FUZZ_CHECK(rec.root != NULL && rec.lang != NULL);
	/* Every known field is a whole string of the stated length. */
	for (i = 0; i < nfields; i++) {
		if (rec.value[i] == NULL)
			continue;
		FUZZ_CHECK(rec.value[i][rec.len[i]] == '\0');
		FUZZ_CHECK(rec.len[i] < size);
	}
	record_free(&rec);
	FUZZ_CHECK(rec.root == NULL);
	return 0;
}
