/*
 * Fuzzes the secret key file as the CLI reads it: keyfile_parse_secret,
 * then keyfile_unlock. Unlocking runs Argon2id at the cost the file names;
 * even the minimum cost is too slow to run on every input, and a hostile
 * cost must be refused, not run. So the target unlocks only files that
 * name the minimum cost (the seeds do, passphrase "fuzz"), and checks that
 * every other cost out of bounds is refused before any work is done.
 */
#include <string.h>

#include "fuzz.h"

#include "keyfile.h"
#include "bounds.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	return 0;
}

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
unlock(const struct secfile *sf)
{
	uint64_t ops = le64(sf->blob + SK_SALT);
	uint64_t mem = le64(sf->blob + SK_SALT + 8);
	struct seckey k;
	unsigned char id[KEY_ID_BYTES];
	enum kf_err e;

	if (ops > MAX_PWHASH_OPSLIMIT || mem > MAX_PWHASH_MEMLIMIT ||
	    ops < crypto_pwhash_OPSLIMIT_MIN ||
	    mem < crypto_pwhash_MEMLIMIT_MIN) {
		FUZZ_CHECK(keyfile_unlock(sf, FUZZ_PASS, strlen(FUZZ_PASS),
		    &k) == KF_E_LIMITS);
		FUZZ_CHECK(k.sk == NULL);
		return;
	}
	if (ops != crypto_pwhash_OPSLIMIT_MIN ||
	    mem != crypto_pwhash_MEMLIMIT_MIN)
		return;		/* within bounds, but too slow to fuzz */
	e = keyfile_unlock(sf, FUZZ_PASS, strlen(FUZZ_PASS), &k);
	FUZZ_CHECK(e == KF_OK || e == KF_E_PASSPHRASE || e == KF_E_KEYID);
	if (e != KF_OK) {
		FUZZ_CHECK(k.sk == NULL);
		return;
	}
	/* An unlocked key is the pair of the public key it names. */
	key_id(k.pub.pk, id);
	FUZZ_CHECK(memcmp(id, sf->id, KEY_ID_BYTES) == 0);
	keyfile_lock(&k);
	FUZZ_CHECK(k.sk == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secfile sf;
	size_t line = 12345;
	enum kf_err e;

	e = keyfile_parse_secret((const char *)data, size, &sf, &line);
	FUZZ_CHECK(keyfile_strerror(e) != NULL);
	FUZZ_CHECK(line <= size + 1);
	if (e == KF_OK)
		unlock(&sf);
	return 0;
}
