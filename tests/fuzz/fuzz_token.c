/*
 * Fuzzes token_check, which reads the "token" field of every POST before
 * anything else: a string from the client, base64url-decoded and
 * MAC-checked under the server secret. The key and the clock are fixed
 * (fuzz.h) so that the seed tokens stay valid, fresh, expired or from the
 * future as tests/fuzz/mkseed.c made them.
 */
#include <string.h>

#include "fuzz.h"

#include "token.h"

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
	unsigned char nonce[TOKEN_NONCE], again[TOKEN_NONCE];
	const unsigned char *key = (const unsigned char *)FUZZ_TOKEN_KEY;
	enum token_err e;

	memset(nonce, 0xa5, sizeof(nonce));
	e = token_check(key, (const char *)data, size, FUZZ_NOW, FUZZ_MIN_AGE,
	    FUZZ_MAX_AGE, nonce);
	FUZZ_CHECK(e >= TOKEN_OK && e <= TOKEN_E_EXPIRED);
	FUZZ_CHECK(token_strerror(e) != NULL);
	if (e != TOKEN_OK)
		return 0;
	/* Only a well-formed, authentic token of the right age passes,
	 * and checking it again gives the same nonce. */
	FUZZ_CHECK(size == TOKEN_CHARS);
	FUZZ_CHECK(token_check(key, (const char *)data, size, FUZZ_NOW,
	    FUZZ_MIN_AGE, FUZZ_MAX_AGE, again) == TOKEN_OK);
	FUZZ_CHECK(memcmp(nonce, again, TOKEN_NONCE) == 0);
	/* The same token under another key is forged. */
	FUZZ_CHECK(token_check((const unsigned char *)FUZZ_ENV_SEED,
	    (const char *)data, size, FUZZ_NOW, FUZZ_MIN_AGE, FUZZ_MAX_AGE,
	    again) == TOKEN_E_MAC);
	return 0;
}
