/*
 * Fuzzes receipt_parse, which reads the one field of the follow-up form:
 * a string a reporter typed (or anyone sent). A receipt that reads is
 * 20 characters of the alphabet; formatting it and reading it again
 * gives the same receipt; derivation works on it.
 */
#include <string.h>

#include "fuzz.h"

#include "receipt.h"

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
	unsigned char lookup[RECEIPT_LOOKUP], pk[RECEIPT_KEY];
	char s[RECEIPT_CHARS + 1];
	struct receipt r, back;
	enum receipt_err e;

	memset(&r, 0xa5, sizeof(r));
	e = receipt_parse((const char *)data, size, &r);
	FUZZ_CHECK(e >= RECEIPT_OK && e <= RECEIPT_E_CHECK);
	FUZZ_CHECK(receipt_strerror(e) != NULL);
	if (e != RECEIPT_OK)
		return 0;
	FUZZ_CHECK(size >= RECEIPT_DATA + 1);
	FUZZ_CHECK(strlen(r.data) == RECEIPT_DATA);
	FUZZ_CHECK(strspn(r.data, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") ==
	    RECEIPT_DATA);
	receipt_format(&r, s);
	FUZZ_CHECK(strlen(s) == RECEIPT_CHARS);
	FUZZ_CHECK(receipt_parse(s, strlen(s), &back) == RECEIPT_OK);
	FUZZ_CHECK(memcmp(&r, &back, sizeof(r)) == 0);
	FUZZ_CHECK(receipt_derive(&r, lookup, pk, NULL) == 0);
	return 0;
}
