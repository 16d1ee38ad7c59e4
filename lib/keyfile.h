/*
 * Key files, text like minisign's and age's (docs/FORMATS.md):
 *   public:  "TLPK1 <key id, 16 hex> <base64 public key>"
 *   secret:  "TLSK1 <key id, 16 hex> <base64 protected secret key>"
 *   v2, an analyst identity (an X25519 and an Ed25519 key, a name):
 *            "TLSK2 <key id, 16 hex> <base64 protected secret keys> <name>"
 *   and its public half, "TLID1 ..." (lib/team.h),
 * with '#' comment lines. Parsers are pure (text in, struct out) so the
 * fuzzer calls the same code as the programs.
 */
#ifndef TIPLINE_KEYFILE_H
#define TIPLINE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "envelope.h"

#define PK_TAG		"TLPK1"
#define SK_TAG		"TLSK1"
#define SK_SALT		16	/* crypto_pwhash_SALTBYTES */
#define SK_BLOB		(SK_SALT + 8 + 8 + 24 + SK_BYTES + 16)
#define SK2_TAG		"TLSK2"
#define SIGN_SEED_BYTES	32	/* crypto_sign_SEEDBYTES */
#define SK2_BLOB	(SK_SALT + 8 + 8 + 24 + SK_BYTES + SIGN_SEED_BYTES + 16)

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
	KF_E_NAME,		/* not a valid analyst name */
	KF_E_DUP,		/* the same key or name twice in a team */
	KF_E_V1,		/* a v1 key where an identity (v2) belongs */
};

struct secfile {		/* a parsed, still locked, secret key file */
	int		version;	/* 1: TLSK1, 2: TLSK2 */
	unsigned char	id[KEY_ID_BYTES];
	unsigned char	blob[SK2_BLOB];	/* SK_BLOB bytes used in v1 */
	char		name[MAX_NAME_BYTES + 1];	/* v2 */
};

/* An unlocked key; sk and sign_sk are sodium_malloc'd. A v1 key has
 * no signing key (sign_sk NULL) and no name: it opens, it cannot sign. */
struct seckey {
	struct pubkey	 pub;
	unsigned char	*sk;
	unsigned char	 sign_pk[32];
	unsigned char	*sign_sk;	/* 64 bytes, crypto_sign format */
	char		 name[MAX_NAME_BYTES + 1];
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
/* A key's decrypted form: its X25519 secret key, then for v2 the
 * Ed25519 seed (keyfile_plain_len bytes); what the CLI's agent keeps
 * in memory so that one unlock serves a work session. unlock_plain
 * checks it against the file's key id. */
size_t		keyfile_plain_len(const struct secfile *);
enum kf_err	keyfile_unlock_plain(const struct secfile *,
		    const unsigned char *pt, struct seckey *);
void		keyfile_plain(const struct seckey *, unsigned char *pt);

/* The next line of text[*pos..n) that is not blank or a comment, into
 * *line and *len, without '\n' or a final '\r'; *lineno counts every
 * line. Returns 1, 0 at the end, -1 on a line over MAX_LINE. Shared by
 * the key and team file parsers (docs/FORMATS.md section 1, Lines). */
int		keyfile_next_line(const char *text, size_t n, size_t *pos,
		    size_t *lineno, const char **line, size_t *len);

/* Reads a whole small file (at most max bytes) into a NUL-terminated
 * malloc'd buffer. */
enum kf_err	keyfile_slurp(const char *path, size_t max, char **buf,
		    size_t *n);
/* Creates a key pair: secret file (O_EXCL, 0600) and public file (O_EXCL,
 * 0644). Argon2id cost as given. Refuses to overwrite either. */
enum kf_err	keyfile_create(const char *skpath, const char *pkpath,
		    const char *pass, size_t passlen, uint64_t ops,
		    size_t mem);
/* The same for an analyst identity (v2): NAME.key holds both secret
 * keys, NAME.pub the one-line public identity (TLID1). */
enum kf_err	keyfile_create_identity(const char *skpath,
		    const char *pkpath, const char *name, const char *pass,
		    size_t passlen, uint64_t ops, size_t mem);
/* Gives an unlocked v1 key a fresh signing key and a name, so that
 * keyfile_rewrite writes it as v2 with the same X25519 key. */
enum kf_err	keyfile_upgrade(struct seckey *, const char *name);
/* Replaces a secret key file atomically (a new file, then rename) with
 * the same key under a new passphrase; v2 when the key can sign. */
enum kf_err	keyfile_rewrite(const char *skpath, const struct seckey *,
		    const char *pass, size_t passlen, uint64_t ops,
		    size_t mem);
struct identity;
/* The public identity of an unlocked v2 key. */
void		keyfile_identity(const struct seckey *, struct identity *);
void		keyfile_format_public(const struct pubkey *, char *out,
		    size_t outlen);
const char	*keyfile_strerror(enum kf_err);

#endif
