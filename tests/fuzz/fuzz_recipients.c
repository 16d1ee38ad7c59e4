/*
 * Fuzzes keyfile_parse_public, which reads the recipients file (the
 * secretariat's public keys) at tipline-fcgi's start. Every key it
 * accepts must be a whole key whose id matches it; a secret key line is
 * refused, because the server must never hold one.
 */
#include <string.h>

#include "fuzz.h"

#include "keyfile.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recipients rc;
	unsigned char id[KEY_ID_BYTES];
	size_t i, line = 12345;
	enum kf_err e;

	e = keyfile_parse_public((const char *)data, size, &rc, &line);
	FUZZ_CHECK(keyfile_strerror(e) != NULL);
	FUZZ_CHECK(line <= size + 1);
	if (e != KF_OK)
		return 0;
	FUZZ_CHECK(rc.n >= 1 && rc.n <= MAX_RECIPIENTS);
	for (i = 0; i < rc.n; i++) {
		key_id(rc.k[i].pk, id);
		FUZZ_CHECK(memcmp(id, rc.k[i].id, KEY_ID_BYTES) == 0);
	}
	return 0;
}
