/*
 * Envelope v1 (docs/FORMATS.md): a fresh content key K encrypts the
 * padded record with XChaCha20-Poly1305-IETF; K is sealed with
 * crypto_box_seal to every recipient. The associated data binds the
 * ciphertext to its format version and to its row's reference, so a
 * ciphertext moved to another row no longer opens.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "envelope.h"

_Static_assert(PK_BYTES == crypto_box_PUBLICKEYBYTES, "pk size");
_Static_assert(SK_BYTES == crypto_box_SECRETKEYBYTES, "sk size");
_Static_assert(STANZA_BYTES == KEY_ID_BYTES + crypto_box_SEALBYTES +
    CK_BYTES, "stanza size");
_Static_assert(CK_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    "content key size");
_Static_assert(ENV_NONCE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    "nonce size");

#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

void
key_id(const unsigned char pk[PK_BYTES], unsigned char id[KEY_ID_BYTES])
{
	crypto_generichash(id, KEY_ID_BYTES, pk, PK_BYTES, NULL, 0);
}

/* Associated data: the 5 bytes "TLEV" 0x01, then the reference. */
static size_t
make_ad(unsigned char *ad, size_t cap, const char *ref)
{
	size_t rl = strlen(ref);

	if (5 + rl > cap)
		return 0;
	/* Bytes, not strings: no NUL is wanted after them.
	 * NOLINTBEGIN(bugprone-not-null-terminated-result) */
	memcpy(ad, ENV_MAGIC, 4);
	ad[4] = ENV_VERSION;
	memcpy(ad + 5, ref, rl);
	/* NOLINTEND(bugprone-not-null-terminated-result) */
	return 5 + rl;
}

/* The padded size: the smallest power of two that is at least
 * PAD_MIN_BUCKET and longer than the record, so that only the bucket,
 * not the exact length, shows. */
static size_t
bucket(size_t len)
{
	size_t b = PAD_MIN_BUCKET;

	while (b <= len)
		b *= 2;
	return b;
}

int
envelope_seal(const struct recipients *rc, const char *ref,
    const unsigned char *pt, size_t ptlen, unsigned char **out,
    size_t *outlen)
{
	unsigned char ck[CK_BYTES], ad[64], *env = NULL, *p, *padded = NULL;
	size_t adlen, blk, plen, total, i;
	int rv = -1;

	if (rc->n == 0 || rc->n > MAX_RECIPIENTS || ptlen > MAX_RECORD ||
	    (adlen = make_ad(ad, sizeof(ad), ref)) == 0)
		return -1;
	blk = bucket(ptlen);
	total = ENV_HEADER + rc->n * STANZA_BYTES + ENV_NONCE + blk + TAG_BYTES;
	/* Plain malloc, wiped before free: the same text already sits in
	 * ordinary heap (the body, the parsed form, the JSON), so guard
	 * pages here would cost two mmap/munmap pairs a report (16% of
	 * intake's kernel time, bench/README.md) and protect nothing. */
	if ((padded = malloc(blk)) == NULL ||
	    (env = malloc(total)) == NULL)
		goto out;
	memcpy(padded, pt, ptlen);
	if (sodium_pad(&plen, padded, ptlen, blk, blk) != 0 || plen != blk)
		goto out;
	crypto_aead_xchacha20poly1305_ietf_keygen(ck);
	memcpy(env, ENV_MAGIC, 4);
	env[4] = ENV_VERSION;
	env[5] = (unsigned char)rc->n;
	p = env + ENV_HEADER;
	for (i = 0; i < rc->n; i++, p += STANZA_BYTES) {
		memcpy(p, rc->k[i].id, KEY_ID_BYTES);
		if (crypto_box_seal(p + KEY_ID_BYTES, ck, CK_BYTES,
		    rc->k[i].pk) != 0)
			goto out;
	}
	randombytes_buf(p, ENV_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(p + ENV_NONCE, NULL,
	    padded, blk, ad, adlen, NULL, p, ck);
	*out = env;
	*outlen = total;
	env = NULL;
	rv = 0;
out:
	sodium_memzero(ck, sizeof(ck));
	if (padded != NULL)
		sodium_memzero(padded, blk);
	free(padded);
	free(env);
	return rv;
}

/* Finds this key's stanza and opens the content key from it. */
static enum env_err
open_key(const unsigned char *env, size_t nrec,
    const unsigned char pk[PK_BYTES], const unsigned char sk[SK_BYTES],
    unsigned char ck[CK_BYTES])
{
	unsigned char id[KEY_ID_BYTES];
	const unsigned char *p = env + ENV_HEADER;
	size_t i;

	key_id(pk, id);
	for (i = 0; i < nrec; i++, p += STANZA_BYTES) {
		if (sodium_memcmp(p, id, KEY_ID_BYTES) != 0)
			continue;
		if (crypto_box_seal_open(ck, p + KEY_ID_BYTES,
		    STANZA_BYTES - KEY_ID_BYTES, pk, sk) != 0)
			return ENV_E_AUTH;
		return ENV_OK;
	}
	return ENV_E_NOKEY;
}

/* Makes b hold at least need bytes of sodium_malloc'd memory. */
static int
buf_reserve(struct env_buf *b, size_t need)
{
	if (b->cap >= need)
		return 0;
	sodium_free(b->p);	/* wipes what it held */
	b->cap = 0;
	if ((b->p = sodium_malloc(need)) == NULL)
		return -1;
	b->cap = need;
	return 0;
}

enum env_err
envelope_open_buf(const unsigned char *env, size_t n, const char *ref,
    const unsigned char pk[PK_BYTES], const unsigned char sk[SK_BYTES],
    struct env_buf *b, size_t *ptlen)
{
	unsigned char ck[CK_BYTES], ad[64];
	const unsigned char *nonce;
	size_t nrec, adlen, clen, blk, unp;
	enum env_err e;

	if (n < ENV_HEADER || memcmp(env, ENV_MAGIC, 4) != 0 ||
	    env[4] != ENV_VERSION || n > MAX_ENVELOPE)
		return ENV_E_FORMAT;
	nrec = env[5];
	if (nrec == 0 || nrec > MAX_RECIPIENTS ||
	    n < ENV_HEADER + nrec * STANZA_BYTES + ENV_NONCE + TAG_BYTES +
	    PAD_MIN_BUCKET || (adlen = make_ad(ad, sizeof(ad), ref)) == 0)
		return ENV_E_FORMAT;
	nonce = env + ENV_HEADER + nrec * STANZA_BYTES;
	clen = n - (size_t)(nonce + ENV_NONCE - env);
	blk = clen - TAG_BYTES;
	if ((blk & (blk - 1)) != 0)	/* buckets are powers of two */
		return ENV_E_FORMAT;
	if ((e = open_key(env, nrec, pk, sk, ck)) != ENV_OK)
		goto out;
	e = ENV_E_NOMEM;
	if (buf_reserve(b, blk + 1) != 0)
		goto out;
	e = ENV_E_AUTH;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(b->p, NULL, NULL,
	    nonce + ENV_NONCE, clen, ad, adlen, nonce, ck) != 0 ||
	    sodium_unpad(&unp, b->p, blk, blk) != 0) {
		sodium_memzero(b->p, b->cap);
		goto out;
	}
	b->p[unp] = '\0';
	*ptlen = unp;
	e = ENV_OK;
out:
	sodium_memzero(ck, sizeof(ck));
	return e;
}

enum env_err
envelope_open(const unsigned char *env, size_t n, const char *ref,
    const unsigned char pk[PK_BYTES], const unsigned char sk[SK_BYTES],
    unsigned char **pt, size_t *ptlen)
{
	struct env_buf b = { NULL, 0 };
	enum env_err e;

	e = envelope_open_buf(env, n, ref, pk, sk, &b, ptlen);
	if (e == ENV_OK)
		*pt = b.p;
	else
		sodium_free(b.p);
	return e;
}

void
env_buf_free(struct env_buf *b)
{
	sodium_free(b->p);
	b->p = NULL;
	b->cap = 0;
}

const char *
envelope_strerror(enum env_err e)
{
	switch (e) {
	case ENV_OK:		return "ok";
	case ENV_E_FORMAT:	return "not a tipline envelope v1";
	case ENV_E_NOKEY:	return "not sealed to this key";
	case ENV_E_AUTH:	return "does not authenticate (tampered, "
				    "moved to another row, or wrong key)";
	case ENV_E_NOMEM:	return "out of memory";
	}
	return "unknown error";
}
