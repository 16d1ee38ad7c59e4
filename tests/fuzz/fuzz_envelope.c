/*
 * Fuzzes envelope_open as the CLI runs it on a row's envelope, with a
 * fixed key pair (fuzz.h) and the row reference the seeds were sealed
 * under. The seeds are real envelopes sealed to that key (mkseed.c), so
 * the fuzzer starts from inputs that open and mutates the header, the
 * recipient stanzas, the nonce, the length and the ciphertext. What opens
 * goes on to record_parse, as in `tipline show`.
 */
#include <string.h>

#include "fuzz.h"

#include "envelope.h"
#include "record.h"

static unsigned char pk[PK_BYTES], sk[SK_BYTES];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	record_init();
	fuzz_env_keypair(pk, sk);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record rec;
	unsigned char *pt = NULL, *other = NULL;
	size_t ptlen = 0, n;
	enum env_err e;

	e = envelope_open(data, size, FUZZ_REF, pk, sk, &pt, &ptlen);
	FUZZ_CHECK(envelope_strerror(e) != NULL);
	if (e != ENV_OK) {
		FUZZ_CHECK(pt == NULL);
		return 0;
	}
	/* The plaintext is shorter than the envelope and NUL-terminated,
	 * as envelope.h promises. */
	FUZZ_CHECK(pt != NULL && ptlen < size && pt[ptlen] == '\0');
	/* The same envelope under another row's reference must not open. */
	FUZZ_CHECK(envelope_open(data, size, "TL-OTHER-ROW", pk, sk, &other,
	    &n) == ENV_E_AUTH && other == NULL);
	if (record_parse((const char *)pt, ptlen, &rec) == REC_OK)
		record_free(&rec);
	sodium_free(pt);
	return 0;
}
