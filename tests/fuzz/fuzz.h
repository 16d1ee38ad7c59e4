/*
 * Shared by the fuzz targets and the seed generator: the fixed keys and
 * the fixed clock the targets use, and FUZZ_CHECK, which turns a broken
 * property into a crash that libFuzzer reports and saves. A target only
 * calls the real parser (the same function the programs call) and then
 * checks what the parser promised about its output.
 */
#ifndef TIPLINE_FUZZ_H
#define TIPLINE_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#include <sodium.h>

#define FUZZ_CHECK(e) do { \
	if (!(e)) { \
		fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, \
		    __LINE__, #e); \
		abort(); \
	} \
} while (0)

/* Not secrets: the fuzzers and the committed seeds must agree on them. */
#define FUZZ_ENV_SEED	"tipline fuzz envelope key seed.."	/* 32 bytes */
#define FUZZ_TOKEN_KEY	"tipline fuzz token key, not real"	/* 32 bytes */
#define FUZZ_REF	"TL-FUZZ-SEED"
#define FUZZ_PASS	"fuzz"
#define FUZZ_NOW	UINT64_C(1767225600)	/* 2026-01-01 00:00 UTC */
#define FUZZ_MIN_AGE	3
#define FUZZ_MAX_AGE	86400

/* The envelope target's key pair, derived from the fixed seed. */
static inline void
fuzz_env_keypair(unsigned char pk[32], unsigned char sk[32])
{
	crypto_box_seed_keypair(pk, sk,
	    (const unsigned char *)FUZZ_ENV_SEED);
}

/* The event target's signing key pair, from the same fixed seed. */
static inline void
fuzz_sign_keypair(unsigned char pk[32], unsigned char sk[64])
{
	crypto_sign_seed_keypair(pk, sk,
	    (const unsigned char *)FUZZ_ENV_SEED);
}

static inline void
fuzz_init_sodium(void)
{
	if (sodium_init() < 0)
		abort();
}

/* The signatures libFuzzer looks for; declared here so that
 * -Wmissing-prototypes is satisfied. */
int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#endif
