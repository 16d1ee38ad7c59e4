/*
 * Envelopes v1 and v2: a report encrypted so that only the recipients'
 * secret keys open it. Byte layouts in docs/FORMATS.md section 3. The
 * server seals reports in v2 (envelope_seal_epoch); the CLI seals notes
 * in v1 (envelope_seal) and opens both.
 */
#ifndef TIPLINE_ENVELOPE_H
#define TIPLINE_ENVELOPE_H

#include <stddef.h>

#include "bounds.h"

#define ENV_MAGIC	"TLEV"
#define ENV_VERSION	1
#define KEY_ID_BYTES	8
#define PK_BYTES	32	/* crypto_box_PUBLICKEYBYTES */
#define SK_BYTES	32	/* crypto_box_SECRETKEYBYTES */
#define CK_BYTES	32	/* the content key */
#define STANZA_BYTES	(KEY_ID_BYTES + 48 + CK_BYTES)
#define ENV_HEADER	6	/* magic, version, recipient count */
#define ENV_NONCE	24
#define ENV_VERSION2	2
#define SHARED_BYTES	32	/* crypto_scalarmult_BYTES */
#define STANZA2_BYTES	(KEY_ID_BYTES + CK_BYTES + 16)	/* id, wrapped K */
/* An epoch's key pair seals at most this many reports, for at most
 * this long (THREATS.md: what a copy of a worker's memory opens). */
#define EPOCH_USES	256
#define EPOCH_MS	1000

struct pubkey {
	unsigned char	pk[PK_BYTES];
	unsigned char	id[KEY_ID_BYTES];
};

struct recipients {
	size_t		n;
	struct pubkey	k[MAX_RECIPIENTS];
};

enum env_err {
	ENV_OK = 0,
	ENV_E_FORMAT,		/* truncated, wrong magic or version */
	ENV_E_NOKEY,		/* not sealed to this key */
	ENV_E_AUTH,		/* tampered, swapped or wrong key */
	ENV_E_NOMEM,
};

void		key_id(const unsigned char pk[PK_BYTES],
		    unsigned char id[KEY_ID_BYTES]);
int		envelope_seal(const struct recipients *, const char *ref,
		    const unsigned char *pt, size_t ptlen,
		    unsigned char **out, size_t *outlen);
/* v2 sealing: one epoch (an X25519 key pair and its shared secret with
 * each recipient, in sodium_malloc'd memory) serves up to EPOCH_USES
 * reports within EPOCH_MS; envelope_seal_epoch starts a new one, wiping
 * the old, when this one is used up, too old, or made for other
 * recipients. seal_epoch_wipe forgets it at once. */
struct seal_epoch;
struct seal_epoch	*seal_epoch_new(void);
void		seal_epoch_wipe(struct seal_epoch *);
void		seal_epoch_free(struct seal_epoch *);
int		envelope_seal_epoch(struct seal_epoch *,
		    const struct recipients *, const char *ref,
		    const unsigned char *pt, size_t ptlen,
		    unsigned char **out, size_t *outlen);
/* Opens v1 and v2. On success *pt is sodium_malloc'd (free with sodium_free) and
 * NUL-terminated after *ptlen bytes. */
enum env_err	envelope_open(const unsigned char *env, size_t n,
		    const char *ref, const unsigned char pk[PK_BYTES],
		    const unsigned char sk[SK_BYTES], unsigned char **pt,
		    size_t *ptlen);
/* The same, into a reusable sodium_malloc'd buffer that grows as
 * needed: opening thousands of envelopes then costs no allocation each.
 * The plaintext is at b->p, NUL-terminated after *ptlen bytes. */
struct env_buf {
	unsigned char	*p;
	size_t		 cap;
};
enum env_err	envelope_open_buf(const unsigned char *env, size_t n,
		    const char *ref, const unsigned char pk[PK_BYTES],
		    const unsigned char sk[SK_BYTES], struct env_buf *,
		    size_t *ptlen);
/* The two halves of opening, for a grant (docs/FORMATS.md section 9):
 * the content key this key opens, and the envelope opened with a
 * content key however it was obtained. */
enum env_err	envelope_key(const unsigned char *env, size_t n,
		    const char *ref, const unsigned char pk[PK_BYTES],
		    const unsigned char sk[SK_BYTES],
		    unsigned char ck[CK_BYTES]);
enum env_err	envelope_open_key(const unsigned char *env, size_t n,
		    const char *ref, const unsigned char ck[CK_BYTES],
		    struct env_buf *, size_t *ptlen);
/* The key ids of an envelope's stanzas (v1 or v2), in order; 0 when
 * it is not an envelope. */
size_t		envelope_recipients(const unsigned char *env, size_t n,
		    unsigned char ids[MAX_RECIPIENTS][KEY_ID_BYTES]);
/* 1 if the envelope has a stanza for this key id. */
int		envelope_sealed_to(const unsigned char *env, size_t n,
		    const unsigned char id[KEY_ID_BYTES]);
void		env_buf_free(struct env_buf *);
const char	*envelope_strerror(enum env_err);

#endif
