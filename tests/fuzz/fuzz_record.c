/*
 * Fuzzes record_parse, the decoder the CLI runs on every decrypted
 * report (JSON through jansson). A record comes from the server, but a
 * seized or buggy server could write anything a recipient key accepts,
 * so the CLI must treat it as hostile input.
 */
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record rec;
	enum rec_err e;
	size_t i;

	e = record_parse((const char *)data, size, &rec);
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
