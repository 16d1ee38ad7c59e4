/*
 * Envelopes (docs/FORMATS.md section 3): a fresh content key K encrypts
 * the padded record with XChaCha20-Poly1305-IETF. In v1, K is sealed
 * with crypto_box_seal to every recipient: two X25519 operations per
 * recipient and report. In v2, K is wrapped, per recipient, under a key
 * derived from the X25519 secret that a short-lived "epoch" key pair
 * shares with that recipient, the epoch's public key, the recipient's
 * key and the row's reference: the X25519 work is done once per epoch
 * (at most EPOCH_MS and EPOCH_USES reports), not once per report. The
 * associated data binds the ciphertext to its format version and to its
 * row's reference, so a ciphertext moved to another row no longer opens.
 * Both versions open.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
_Static_assert(STANZA2_BYTES == KEY_ID_BYTES + CK_BYTES + TAG_BYTES,
    "v2 stanza size");
_Static_assert(SHARED_BYTES == crypto_scalarmult_BYTES, "shared size");
_Static_assert(SHARED_BYTES >= crypto_generichash_KEYBYTES_MIN &&
    SHARED_BYTES <= crypto_generichash_KEYBYTES_MAX, "shared as a key");

void
key_id(const unsigned char pk[PK_BYTES], unsigned char id[KEY_ID_BYTES])
{
	crypto_generichash(id, KEY_ID_BYTES, pk, PK_BYTES, NULL, 0);
}

/* Associated data: the 5 bytes "TLEV" and the version, then the
 * reference. */
static size_t
make_ad(unsigned char *ad, size_t cap, int version, const char *ref)
{
	size_t rl = strlen(ref);

	if (5 + rl > cap)
		return 0;
	/* Bytes, not strings: no NUL is wanted after them.
	 * NOLINTBEGIN(bugprone-not-null-terminated-result) */
	memcpy(ad, ENV_MAGIC, 4);
	ad[4] = (unsigned char)version;
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
	    (adlen = make_ad(ad, sizeof(ad), ENV_VERSION, ref)) == 0)
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

/* The epoch's secrets, in one sodium_malloc'd block (guard pages, no
 * swap) made once per worker and wiped at every rotation. */
struct epoch_secret {
	unsigned char	esk[SK_BYTES];
	unsigned char	shared[MAX_RECIPIENTS][SHARED_BYTES];
};

struct seal_epoch {
	struct epoch_secret	*s;
	unsigned char		 epk[PK_BYTES];
	/* The recipients the shared secrets were made for. */
	unsigned char		 pk[MAX_RECIPIENTS][PK_BYTES];
	size_t			 n;
	long long		 started_ms;
	unsigned		 uses;	/* 0: no epoch yet, or wiped */
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct seal_epoch *
seal_epoch_new(void)
{
	struct seal_epoch *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->s = sodium_malloc(sizeof(*e->s))) == NULL) {
		free(e);
		return NULL;
	}
	sodium_memzero(e->s, sizeof(*e->s));
	return e;
}

void
seal_epoch_wipe(struct seal_epoch *e)
{
	sodium_memzero(e->s, sizeof(*e->s));
	e->uses = 0;
}

void
seal_epoch_free(struct seal_epoch *e)
{
	if (e == NULL)
		return;
	sodium_free(e->s);	/* wipes it */
	free(e);
}

/* A new epoch key pair and its shared secret with every recipient; the
 * old epoch's secrets are overwritten in place. */
static int
epoch_rotate(struct seal_epoch *e, const struct recipients *rc)
{
	size_t i;

	seal_epoch_wipe(e);
	crypto_box_keypair(e->epk, e->s->esk);
	for (i = 0; i < rc->n; i++) {
		/* Fails on a low-order public key (an all-zero result). */
		if (crypto_scalarmult(e->s->shared[i], e->s->esk,
		    rc->k[i].pk) != 0) {
			seal_epoch_wipe(e);
			return -1;
		}
		memcpy(e->pk[i], rc->k[i].pk, PK_BYTES);
	}
	e->n = rc->n;
	e->started_ms = mono_ms();
	e->uses = 0;
	return 0;
}

static int
epoch_current(struct seal_epoch *e, const struct recipients *rc)
{
	size_t i;
	int same = e->uses > 0 && e->uses < EPOCH_USES && e->n == rc->n &&
	    mono_ms() - e->started_ms < EPOCH_MS;

	for (i = 0; same && i < rc->n; i++)
		same = memcmp(e->pk[i], rc->k[i].pk, PK_BYTES) == 0;
	if (!same && epoch_rotate(e, rc) != 0)
		return -1;
	e->uses++;
	return 0;
}

/* The key that wraps K for one recipient:
 * BLAKE2b-256(key = X25519 shared secret,
 *             message = "TLEV" 0x02 | epoch pk | recipient pk | ref). */
static void
wrap_key(unsigned char wk[CK_BYTES], const unsigned char *shared,
    const unsigned char epk[PK_BYTES], const unsigned char pk[PK_BYTES],
    const char *ref)
{
	crypto_generichash_state st;
	unsigned char head[5];

	/* "TLEV" and its NUL, which the version byte then replaces. */
	memcpy(head, ENV_MAGIC, sizeof(head));
	head[4] = ENV_VERSION2;
	crypto_generichash_init(&st, shared, SHARED_BYTES, CK_BYTES);
	crypto_generichash_update(&st, head, sizeof(head));
	crypto_generichash_update(&st, epk, PK_BYTES);
	crypto_generichash_update(&st, pk, PK_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)ref,
	    strlen(ref));
	crypto_generichash_final(&st, wk, CK_BYTES);
	sodium_memzero(&st, sizeof(st));
}

/* The stanzas of a v2 envelope at p: key id, then K wrapped with
 * XChaCha20-Poly1305-IETF under wrap_key, with the envelope's nonce. */
static void
write_stanzas2(unsigned char *p, const struct seal_epoch *e,
    const struct recipients *rc, const char *ref, const unsigned char *nonce,
    const unsigned char ck[CK_BYTES])
{
	unsigned char wk[CK_BYTES];
	size_t i;

	for (i = 0; i < rc->n; i++, p += STANZA2_BYTES) {
		memcpy(p, rc->k[i].id, KEY_ID_BYTES);
		wrap_key(wk, e->s->shared[i], e->epk, rc->k[i].pk, ref);
		crypto_aead_xchacha20poly1305_ietf_encrypt(p + KEY_ID_BYTES,
		    NULL, ck, CK_BYTES, NULL, 0, NULL, nonce, wk);
	}
	sodium_memzero(wk, sizeof(wk));
}

int
envelope_seal_epoch(struct seal_epoch *e, const struct recipients *rc,
    const char *ref, const unsigned char *pt, size_t ptlen,
    unsigned char **out, size_t *outlen)
{
	unsigned char ck[CK_BYTES], ad[64], *env = NULL, *p, *nonce;
	size_t adlen, blk, plen, total;
	int rv = -1;

	if (rc->n == 0 || rc->n > MAX_RECIPIENTS || ptlen > MAX_RECORD ||
	    (adlen = make_ad(ad, sizeof(ad), ENV_VERSION2, ref)) == 0 ||
	    epoch_current(e, rc) != 0)
		return -1;
	blk = bucket(ptlen);
	total = ENV_HEADER + PK_BYTES + rc->n * STANZA2_BYTES + ENV_NONCE +
	    blk + TAG_BYTES;
	if ((env = malloc(total)) == NULL)
		goto out;
	memcpy(env, ENV_MAGIC, 4);
	env[4] = ENV_VERSION2;
	env[5] = (unsigned char)rc->n;
	memcpy(env + ENV_HEADER, e->epk, PK_BYTES);
	nonce = env + ENV_HEADER + PK_BYTES + rc->n * STANZA2_BYTES;
	randombytes_buf(nonce, ENV_NONCE);
	crypto_aead_xchacha20poly1305_ietf_keygen(ck);
	write_stanzas2(env + ENV_HEADER + PK_BYTES, e, rc, ref, nonce, ck);
	/* The record is padded in place, in the envelope's own buffer, and
	 * encrypted there: no second copy of it to wipe. */
	p = nonce + ENV_NONCE;
	memcpy(p, pt, ptlen);
	if (sodium_pad(&plen, p, ptlen, blk, blk) != 0 || plen != blk) {
		sodium_memzero(p, blk);
		goto out;
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(p, NULL, p, blk, ad, adlen,
	    NULL, nonce, ck);
	*out = env;
	*outlen = total;
	env = NULL;
	rv = 0;
out:
	sodium_memzero(ck, sizeof(ck));
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

/* The same for a v2 envelope: X25519 with the epoch's public key, the
 * wrap key, then K unwrapped with the envelope's nonce. */
static enum env_err
open_key2(const unsigned char *env, size_t nrec, const char *ref,
    const unsigned char *nonce, const unsigned char pk[PK_BYTES],
    const unsigned char sk[SK_BYTES], unsigned char ck[CK_BYTES])
{
	unsigned char id[KEY_ID_BYTES], shared[SHARED_BYTES], wk[CK_BYTES];
	const unsigned char *epk = env + ENV_HEADER;
	const unsigned char *p = epk + PK_BYTES;
	enum env_err e = ENV_E_NOKEY;
	size_t i;

	key_id(pk, id);
	for (i = 0; i < nrec; i++, p += STANZA2_BYTES) {
		if (sodium_memcmp(p, id, KEY_ID_BYTES) != 0)
			continue;
		e = ENV_E_AUTH;
		if (crypto_scalarmult(shared, sk, epk) != 0)
			break;
		wrap_key(wk, shared, epk, pk, ref);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(ck, NULL, NULL,
		    p + KEY_ID_BYTES, CK_BYTES + TAG_BYTES, NULL, 0, nonce,
		    wk) == 0)
			e = ENV_OK;
		break;
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wk, sizeof(wk));
	return e;
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

/* Where the nonce is in an envelope of this version and nrec
 * recipients, or 0 when the header is not one we know. */
static size_t
nonce_offset(int version, size_t nrec)
{
	if (nrec == 0 || nrec > MAX_RECIPIENTS)
		return 0;
	if (version == ENV_VERSION)
		return ENV_HEADER + nrec * STANZA_BYTES;
	if (version == ENV_VERSION2)
		return ENV_HEADER + PK_BYTES + nrec * STANZA2_BYTES;
	return 0;
}

/* An envelope's header, checked: its version, recipient count, nonce
 * and padded size. */
struct env_parts {
	int			 version;
	size_t			 nrec, blk;
	const unsigned char	*nonce;
};

static enum env_err
env_split(const unsigned char *env, size_t n, const char *ref,
    struct env_parts *p)
{
	unsigned char ad[64];
	size_t off;

	if (n < ENV_HEADER || memcmp(env, ENV_MAGIC, 4) != 0 ||
	    n > MAX_ENVELOPE)
		return ENV_E_FORMAT;
	p->version = env[4];
	p->nrec = env[5];
	if ((off = nonce_offset(env[4], p->nrec)) == 0 ||
	    n < off + ENV_NONCE + TAG_BYTES + PAD_MIN_BUCKET ||
	    make_ad(ad, sizeof(ad), env[4], ref) == 0)
		return ENV_E_FORMAT;
	p->nonce = env + off;
	p->blk = n - (off + ENV_NONCE) - TAG_BYTES;
	if ((p->blk & (p->blk - 1)) != 0)	/* buckets are powers of two */
		return ENV_E_FORMAT;
	return ENV_OK;
}

enum env_err
envelope_key(const unsigned char *env, size_t n, const char *ref,
    const unsigned char pk[PK_BYTES], const unsigned char sk[SK_BYTES],
    unsigned char ck[CK_BYTES])
{
	struct env_parts p;
	enum env_err e;

	if ((e = env_split(env, n, ref, &p)) != ENV_OK)
		return e;
	return p.version == ENV_VERSION ? open_key(env, p.nrec, pk, sk, ck) :
	    open_key2(env, p.nrec, ref, p.nonce, pk, sk, ck);
}

size_t
envelope_recipients(const unsigned char *env, size_t n,
    unsigned char ids[MAX_RECIPIENTS][KEY_ID_BYTES])
{
	const unsigned char *p;
	struct env_parts ep;
	size_t i, size;

	if (env_split(env, n, "", &ep) != ENV_OK)
		return 0;
	p = env + ENV_HEADER + (ep.version == ENV_VERSION ? 0 : PK_BYTES);
	size = ep.version == ENV_VERSION ? STANZA_BYTES : STANZA2_BYTES;
	for (i = 0; i < ep.nrec; i++, p += size)
		memcpy(ids[i], p, KEY_ID_BYTES);
	return ep.nrec;
}

int
envelope_sealed_to(const unsigned char *env, size_t n,
    const unsigned char id[KEY_ID_BYTES])
{
	unsigned char ids[MAX_RECIPIENTS][KEY_ID_BYTES];
	size_t i, k = envelope_recipients(env, n, ids);

	for (i = 0; i < k; i++)
		if (memcmp(ids[i], id, KEY_ID_BYTES) == 0)
			return 1;
	return 0;
}

enum env_err
envelope_open_key(const unsigned char *env, size_t n, const char *ref,
    const unsigned char ck[CK_BYTES], struct env_buf *b, size_t *ptlen)
{
	unsigned char ad[64];
	struct env_parts p;
	size_t adlen, unp;
	enum env_err e;

	if ((e = env_split(env, n, ref, &p)) != ENV_OK)
		return e;
	adlen = make_ad(ad, sizeof(ad), p.version, ref);
	if (buf_reserve(b, p.blk + 1) != 0)
		return ENV_E_NOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(b->p, NULL, NULL,
	    p.nonce + ENV_NONCE, p.blk + TAG_BYTES, ad, adlen, p.nonce, ck)
	    != 0 || sodium_unpad(&unp, b->p, p.blk, p.blk) != 0) {
		sodium_memzero(b->p, b->cap);
		return ENV_E_AUTH;
	}
	b->p[unp] = '\0';
	*ptlen = unp;
	return ENV_OK;
}

enum env_err
envelope_open_buf(const unsigned char *env, size_t n, const char *ref,
    const unsigned char pk[PK_BYTES], const unsigned char sk[SK_BYTES],
    struct env_buf *b, size_t *ptlen)
{
	unsigned char ck[CK_BYTES];
	enum env_err e;

	if ((e = envelope_key(env, n, ref, pk, sk, ck)) == ENV_OK)
		e = envelope_open_key(env, n, ref, ck, b, ptlen);
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
	case ENV_E_FORMAT:	return "not a tipline envelope (v1 or v2)";
	case ENV_E_NOKEY:	return "not sealed to this key";
	case ENV_E_AUTH:	return "does not authenticate (tampered, "
				    "moved to another row, or wrong key)";
	case ENV_E_NOMEM:	return "out of memory";
	}
	return "unknown error";
}
