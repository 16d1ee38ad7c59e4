/*
 * Key files, text like minisign's and age's (docs/FORMATS.md):
 *   public:  "TLPK1 <key id, 16 hex> <base64 public key>"
 *   secret:  "TLSK1 <key id, 16 hex> <base64 protected secret key>"
 * with '#' comment lines. Parsers are pure (text in, struct out) so the
 * fuzzer calls the same code as the programs.
 */
#ifndef TIPLINE_KEYFILE_H
#define TIPLINE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

#define PK_TAG		"TLPK1"
#define SK_TAG		"TLSK1"
#define SK_SALT		16	/* crypto_pwhash_SALTBYTES */
#define SK_BLOB		(SK_SALT + 8 + 8 + 24 + SK_BYTES + 16)

enum kf_err {
	KF_OK = 0,
	KF_E_IO,
	KF_E_FORMAT,		/* a line that is not a key */
	KF_E_SECRET,		/* a secret key where a public one belongs */
	KF_E_KEYID,		/* key id does not match the key */
	KF_E_EMPTY,		/* no key in the file */
	KF_E_TOO_MANY,
	KF_E_LIMITS,		/* Argon2id cost out of bounds */
	KF_E_PASSPHRASE,	/* wrong passphrase or damaged file */
	KF_E_NOMEM,
	KF_E_EXISTS,
};

struct secfile {		/* a parsed, still locked, secret key file */
	unsigned char	id[KEY_ID_BYTES];
	unsigned char	blob[SK_BLOB];
};

struct seckey {			/* an unlocked key; sk is sodium_malloc'd */
	struct pubkey	 pub;
	unsigned char	*sk;
};

/* Parse a recipients file: one or more public key lines. *line gets
 * the number of the offending line on error. */
enum kf_err	keyfile_parse_public(const char *text, size_t n,
		    struct recipients *, size_t *line);
enum kf_err	keyfile_parse_secret(const char *text, size_t n,
		    struct secfile *, size_t *line);
enum kf_err	keyfile_unlock(const struct secfile *, const char *pass,
		    size_t passlen, struct seckey *);
void		keyfile_lock(struct seckey *);

/* Reads a whole small file (at most max bytes) into a NUL-terminated
 * malloc'd buffer. */
enum kf_err	keyfile_slurp(const char *path, size_t max, char **buf,
		    size_t *n);
/* Creates a key pair: secret file (O_EXCL, 0600) and public file (O_EXCL,
 * 0644). Argon2id cost as given. Refuses to overwrite either. */
enum kf_err	keyfile_create(const char *skpath, const char *pkpath,
		    const char *pass, size_t passlen, uint64_t ops,
		    size_t mem);
/* Replaces a secret key file atomically (a new file, then rename) with
 * the same key under a new passphrase. */
enum kf_err	keyfile_rewrite(const char *skpath, const struct seckey *,
		    const char *pass, size_t passlen, uint64_t ops,
		    size_t mem);
void		keyfile_format_public(const struct pubkey *, char *out,
		    size_t outlen);
const char	*keyfile_strerror(enum kf_err);

#endif
