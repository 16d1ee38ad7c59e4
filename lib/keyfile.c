/*
 * Key files. The secret key is encrypted with XChaCha20-Poly1305 under a
 * key that Argon2id (crypto_pwhash) derives from the passphrase; salt and
 * cost live in the file. Layout in docs/FORMATS.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "bounds.h"
#include "team.h"
#include "util.h"

_Static_assert(SK_SALT == crypto_pwhash_SALTBYTES, "salt size");

#define SK_AD_LEN	(5 + KEY_ID_BYTES)
#define SK2_AD_MAX	(SK_AD_LEN + MAX_NAME_BYTES)

int
keyfile_next_line(const char *text, size_t n, size_t *pos, size_t *lineno,
    const char **line, size_t *len)
{
	const char *s, *nl;
	size_t i;

	while (*pos < n) {
		s = text + *pos;
		nl = memchr(s, '\n', n - *pos);
		*len = nl ? (size_t)(nl - s) : n - *pos;
		*pos += *len + (nl != NULL);
		(*lineno)++;
		/* An empty line (nl == s) has *len 0; cppcheck 2.10 thinks
		 * it cannot. */
		/* cppcheck-suppress knownConditionTrueFalse */
		if (*len > 0 && s[*len - 1] == '\r')
			(*len)--;
		if (*len > MAX_LINE)
			return -1;
		for (i = 0; i < *len && (s[i] == ' ' || s[i] == '\t'); i++)
			;
		if (i < *len && s[i] != '#') {
			*line = s;
			return 1;
		}
	}
	return 0;
}

/* Parses "TAG <16 hex> <base64 of exactly binlen bytes>". */
static enum kf_err
parse_key_line(const char *s, size_t n, const char *tag,
    unsigned char id[KEY_ID_BYTES], unsigned char *bin, size_t binlen)
{
	size_t tl = strlen(tag), got;
	const char *p = s + tl + 1;

	if (n < tl + 1 + 2 * KEY_ID_BYTES + 2 || memcmp(s, tag, tl) != 0 ||
	    s[tl] != ' ' || p[2 * KEY_ID_BYTES] != ' ')
		return KF_E_FORMAT;
	if (sodium_hex2bin(id, KEY_ID_BYTES, p, 2 * KEY_ID_BYTES, NULL, &got,
	    NULL) != 0 || got != KEY_ID_BYTES)
		return KF_E_FORMAT;
	p += 2 * KEY_ID_BYTES + 1;
	if (sodium_base642bin(bin, binlen, p, (size_t)(s + n - p), NULL, &got,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || got != binlen)
		return KF_E_FORMAT;
	return KF_OK;
}

enum kf_err
keyfile_parse_public(const char *text, size_t n, struct recipients *rc,
    size_t *line)
{
	unsigned char id[KEY_ID_BYTES];
	struct identity ident;
	struct pubkey *k;
	const char *s;
	size_t pos = 0, len;
	enum kf_err e;
	int r;

	memset(rc, 0, sizeof(*rc));
	*line = 0;
	while ((r = keyfile_next_line(text, n, &pos, line, &s, &len)) != 0) {
		if (r < 0)
			return KF_E_FORMAT;
		if (len >= strlen(SK_TAG) && memcmp(s, SK_TAG,
		    strlen(SK_TAG)) == 0)
			return KF_E_SECRET;
		if (rc->n == MAX_RECIPIENTS)
			return KF_E_TOO_MANY;
		k = &rc->k[rc->n];
		if (len >= strlen(ID_TAG) && memcmp(s, ID_TAG,
		    strlen(ID_TAG)) == 0) {
			/* A team file: seal to each member's X25519 key. */
			if ((e = identity_parse(s, len, &ident)) != KF_OK)
				return e;
			*k = ident.box;
		} else if (parse_key_line(s, len, PK_TAG, k->id, k->pk,
		    PK_BYTES) != KF_OK)
			return KF_E_FORMAT;
		key_id(k->pk, id);
		if (sodium_memcmp(id, k->id, KEY_ID_BYTES) != 0)
			return KF_E_KEYID;
		rc->n++;
	}
	return rc->n == 0 ? KF_E_EMPTY : KF_OK;
}

/* "TLSK2 <16 hex> <base64 of SK2_BLOB bytes> <name>": the name is
 * everything after the third space. */
static enum kf_err
parse_sk2_line(const char *s, size_t n, struct secfile *sf)
{
	const char *sp;
	size_t head;

	/* The base64 holds no space: the first space after it ends it. */
	head = strlen(SK2_TAG) + 1 + 2 * KEY_ID_BYTES + 1;
	if (n <= head || (sp = memchr(s + head, ' ', n - head)) == NULL)
		return KF_E_FORMAT;
	if (parse_key_line(s, (size_t)(sp - s), SK2_TAG, sf->id, sf->blob,
	    SK2_BLOB) != KF_OK)
		return KF_E_FORMAT;
	n -= (size_t)(sp + 1 - s);
	if (!identity_name_ok(sp + 1, n))
		return KF_E_NAME;
	memcpy(sf->name, sp + 1, n);
	sf->name[n] = '\0';
	return KF_OK;
}

enum kf_err
keyfile_parse_secret(const char *text, size_t n, struct secfile *sf,
    size_t *line)
{
	const char *s;
	size_t pos = 0, len;
	int r;

	memset(sf, 0, sizeof(*sf));
	*line = 0;
	r = keyfile_next_line(text, n, &pos, line, &s, &len);
	if (r < 0)
		return KF_E_FORMAT;
	if (r == 0)
		return KF_E_EMPTY;
	if (len >= strlen(SK2_TAG) && memcmp(s, SK2_TAG, strlen(SK2_TAG)) ==
	    0) {
		sf->version = 2;
		return parse_sk2_line(s, len, sf);
	}
	sf->version = 1;
	return parse_key_line(s, len, SK_TAG, sf->id, sf->blob, SK_BLOB);
}

static void
put_le64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The associated data of a secret key blob: "TLSK1" | id, or
 * "TLSK2" | id | name, so that the name cannot be changed either. */
static size_t
make_sk_ad(unsigned char ad[SK2_AD_MAX], const unsigned char *id,
    const char *name)
{
	size_t nl = name ? strlen(name) : 0;

	/* Bytes, not a string: no NUL is wanted after them.
	 * NOLINTBEGIN(bugprone-not-null-terminated-result) */
	memcpy(ad, name ? SK2_TAG : SK_TAG, 5);
	memcpy(ad + 5, id, KEY_ID_BYTES);
	if (nl > 0)
		memcpy(ad + SK_AD_LEN, name, nl);
	/* NOLINTEND(bugprone-not-null-terminated-result) */
	return SK_AD_LEN + nl;
}

/* The secret keys from a v2 plaintext: X25519, then the Ed25519 seed. */
static enum kf_err
unlock_sign(const unsigned char *seed, const char *name, struct seckey *key)
{
	if ((key->sign_sk = sodium_malloc(SIGN_SK_BYTES)) == NULL)
		return KF_E_NOMEM;
	crypto_sign_seed_keypair(key->sign_pk, key->sign_sk, seed);
	snprintf(key->name, sizeof(key->name), "%s", name);
	return KF_OK;
}

enum kf_err
keyfile_unlock(const struct secfile *sf, const char *pass, size_t passlen,
    struct seckey *key)
{
	const unsigned char *salt = sf->blob, *nonce = sf->blob + 32;
	uint64_t ops = get_le64(sf->blob + 16), mem = get_le64(sf->blob + 24);
	size_t ptlen = keyfile_plain_len(sf), adlen;
	unsigned char ad[SK2_AD_MAX], *dk = NULL, *pt = NULL;
	enum kf_err e = KF_E_LIMITS;

	memset(key, 0, sizeof(*key));
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > MAX_PWHASH_OPSLIMIT ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > MAX_PWHASH_MEMLIMIT)
		return e;
	e = KF_E_NOMEM;
	if ((dk = sodium_malloc(32)) == NULL ||
	    (pt = sodium_malloc(ptlen)) == NULL)
		goto out;
	if (crypto_pwhash(dk, 32, pass, passlen, salt, ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		goto out;
	adlen = make_sk_ad(ad, sf->id, sf->version == 2 ? sf->name : NULL);
	e = KF_E_PASSPHRASE;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL,
	    nonce + 24, ptlen + 16, ad, adlen, nonce, dk) != 0)
		goto out;
	e = keyfile_unlock_plain(sf, pt, key);
out:
	sodium_free(dk);
	sodium_free(pt);
	if (e != KF_OK)
		keyfile_lock(key);
	return e;
}

size_t
keyfile_plain_len(const struct secfile *sf)
{
	return sf->version == 2 ? SK_BYTES + SIGN_SEED_BYTES : SK_BYTES;
}

/* The key from its decrypted form (what keyfile_unlock decrypts, or
 * what the CLI's agent kept), checked against the file's key id. */
enum kf_err
keyfile_unlock_plain(const struct secfile *sf, const unsigned char *pt,
    struct seckey *key)
{
	enum kf_err e;

	memset(key, 0, sizeof(*key));
	if ((key->sk = sodium_malloc(SK_BYTES)) == NULL)
		return KF_E_NOMEM;
	memcpy(key->sk, pt, SK_BYTES);
	crypto_scalarmult_base(key->pub.pk, key->sk);
	key_id(key->pub.pk, key->pub.id);
	e = sodium_memcmp(key->pub.id, sf->id, KEY_ID_BYTES) == 0 ? KF_OK :
	    KF_E_KEYID;
	if (e == KF_OK && sf->version == 2)
		e = unlock_sign(pt + SK_BYTES, sf->name, key);
	if (e != KF_OK)
		keyfile_lock(key);
	return e;
}

void
keyfile_plain(const struct seckey *key, unsigned char *pt)
{
	memcpy(pt, key->sk, SK_BYTES);
	if (key->sign_sk != NULL)
		crypto_sign_ed25519_sk_to_seed(pt + SK_BYTES, key->sign_sk);
}

void
keyfile_lock(struct seckey *key)
{
	sodium_free(key->sk);	/* wipes before freeing */
	sodium_free(key->sign_sk);
	key->sk = NULL;
	key->sign_sk = NULL;
}

enum kf_err
keyfile_slurp(const char *path, size_t max, char **buf, size_t *n)
{
	FILE *f;
	char *b = NULL;
	size_t got;
	enum kf_err e = KF_E_NOMEM;

	if ((f = fopen(path, "rb")) == NULL)
		return KF_E_IO;
	if ((b = malloc(max + 2)) == NULL)
		goto out;
	got = fread(b, 1, max + 1, f);
	if (ferror(f) || got > max) {
		e = got > max ? KF_E_FORMAT : KF_E_IO;
		goto out;
	}
	b[got] = '\0';
	*buf = b;
	*n = got;
	b = NULL;
	e = KF_OK;
out:
	free(b);
	/* Read only: closing cannot lose data, and the file was read. */
	(void)fclose(f);
	return e;
}

void
keyfile_format_public(const struct pubkey *k, char *out, size_t outlen)
{
	char hex[2 * KEY_ID_BYTES + 1];
	char b64[sodium_base64_ENCODED_LEN(PK_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2hex(hex, sizeof(hex), k->id, KEY_ID_BYTES);
	sodium_bin2base64(b64, sizeof(b64), k->pk, PK_BYTES,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, outlen, "%s %s %s", PK_TAG, hex, b64);
}

/* Writes text to a new file; never replaces an existing one. */
static enum kf_err
write_new(const char *path, mode_t mode, const char *text)
{
	size_t len = strlen(text), off = 0;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return errno == EEXIST ? KF_E_EXISTS : KF_E_IO;
	while (off < len) {
		if ((w = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	if (off < len || fsync(fd) != 0 || close(fd) != 0) {
		if (off < len)
			close(fd);
		unlink(path);
		return KF_E_IO;
	}
	return KF_OK;
}

/* Encrypts the key's secrets into blob under a key derived from the
 * passphrase: the X25519 key (v1), then the Ed25519 seed as well (v2,
 * when the key can sign). Returns the blob's length in *bloblen. */
static enum kf_err
protect(const struct seckey *key, const char *pass, size_t passlen,
    uint64_t ops, size_t mem, unsigned char blob[SK2_BLOB],
    size_t *bloblen)
{
	const char *name = key->sign_sk ? key->name : NULL;
	unsigned char ad[SK2_AD_MAX], *dk, *pt;
	size_t ptlen = SK_BYTES + (name ? SIGN_SEED_BYTES : 0), adlen;
	enum kf_err e = KF_E_NOMEM;

	dk = sodium_malloc(32);
	pt = sodium_malloc(SK_BYTES + SIGN_SEED_BYTES);
	if (dk == NULL || pt == NULL)
		goto out;
	memcpy(pt, key->sk, SK_BYTES);
	if (name)
		crypto_sign_ed25519_sk_to_seed(pt + SK_BYTES, key->sign_sk);
	randombytes_buf(blob, SK_SALT);
	put_le64(blob + 16, ops);
	put_le64(blob + 24, mem);
	randombytes_buf(blob + 32, 24);
	if (crypto_pwhash(dk, 32, pass, passlen, blob, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) == 0) {
		adlen = make_sk_ad(ad, key->pub.id, name);
		crypto_aead_xchacha20poly1305_ietf_encrypt(blob + 56, NULL, pt,
		    ptlen, ad, adlen, NULL, blob + 32, dk);
		*bloblen = 56 + ptlen + 16;
		e = KF_OK;
	}
out:
	sodium_free(dk);
	sodium_free(pt);
	return e;
}

/* The public line of a key: its identity (v2) or its TLPK1 line. */
static void
public_line(const struct seckey *key, char *out, size_t outlen)
{
	struct identity id;

	if (key->sign_sk == NULL) {
		keyfile_format_public(&key->pub, out, outlen);
		return;
	}
	keyfile_identity(key, &id);
	identity_format(&id, out, outlen);
}

/* The text of a secret key file for key under a passphrase. */
static enum kf_err
secret_text(const struct seckey *key, const char *pass, size_t passlen,
    uint64_t ops, size_t mem, char *text, size_t textlen)
{
	unsigned char blob[SK2_BLOB];
	char pkline[MAX_LINE + 1], hex[2 * KEY_ID_BYTES + 1], day[11];
	char b64[sodium_base64_ENCODED_LEN(SK2_BLOB,
	    sodium_base64_VARIANT_ORIGINAL)];
	size_t bloblen;
	enum kf_err e;
	int v2 = key->sign_sk != NULL;

	if ((e = protect(key, pass, passlen, ops, mem, blob, &bloblen)) !=
	    KF_OK)
		return e;
	public_line(key, pkline, sizeof(pkline));
	sodium_bin2hex(hex, sizeof(hex), key->pub.id, KEY_ID_BYTES);
	sodium_bin2base64(b64, sizeof(b64), blob, bloblen,
	    sodium_base64_VARIANT_ORIGINAL);
	day_utc(time(NULL), day);
	if (snprintf(text, textlen, "# tipline secret key, protected by a "
	    "passphrase (Argon2id); keep it off the server\n# created %s\n"
	    "# %s: %s\n%s %s %s%s%s\n", day, v2 ? "identity" : "public key",
	    pkline, v2 ? SK2_TAG : SK_TAG, hex, b64, v2 ? " " : "",
	    v2 ? key->name : "") >= (int)textlen)
		return KF_E_FORMAT;
	return KF_OK;
}

/* Writes a new secret key file and its public file, or neither. */
static enum kf_err
create_files(const char *skpath, const char *pkpath,
    const struct seckey *key, const char *pass, size_t passlen,
    uint64_t ops, size_t mem)
{
	char pkline[MAX_LINE + 1], day[11], text[2048];
	enum kf_err e;

	e = secret_text(key, pass, passlen, ops, mem, text, sizeof(text));
	if (e != KF_OK)
		return e;
	if ((e = write_new(skpath, 0600, text)) != KF_OK)
		return e;
	public_line(key, pkline, sizeof(pkline));
	day_utc(time(NULL), day);
	snprintf(text, sizeof(text), "# tipline %s; created %s\n%s\n",
	    key->sign_sk ? "analyst identity (team file line)" :
	    "public key", day, pkline);
	if ((e = write_new(pkpath, 0644, text)) != KF_OK)
		unlink(skpath);
	return e;
}

enum kf_err
keyfile_create(const char *skpath, const char *pkpath, const char *pass,
    size_t passlen, uint64_t ops, size_t mem)
{
	struct seckey key;
	enum kf_err e;

	if (access(skpath, F_OK) == 0 || access(pkpath, F_OK) == 0)
		return KF_E_EXISTS;
	memset(&key, 0, sizeof(key));
	if ((key.sk = sodium_malloc(SK_BYTES)) == NULL)
		return KF_E_NOMEM;
	crypto_box_keypair(key.pub.pk, key.sk);
	key_id(key.pub.pk, key.pub.id);
	e = create_files(skpath, pkpath, &key, pass, passlen, ops, mem);
	keyfile_lock(&key);
	return e;
}

enum kf_err
keyfile_upgrade(struct seckey *key, const char *name)
{
	unsigned char seed[SIGN_SEED_BYTES];
	enum kf_err e;

	if (!identity_name_ok(name, strlen(name)))
		return KF_E_NAME;
	if (key->sign_sk != NULL)
		return KF_E_EXISTS;
	randombytes_buf(seed, sizeof(seed));
	e = unlock_sign(seed, name, key);
	sodium_memzero(seed, sizeof(seed));
	return e;
}

enum kf_err
keyfile_create_identity(const char *skpath, const char *pkpath,
    const char *name, const char *pass, size_t passlen, uint64_t ops,
    size_t mem)
{
	struct seckey key;
	enum kf_err e;

	if (!identity_name_ok(name, strlen(name)))
		return KF_E_NAME;
	if (access(skpath, F_OK) == 0 || access(pkpath, F_OK) == 0)
		return KF_E_EXISTS;
	memset(&key, 0, sizeof(key));
	if ((key.sk = sodium_malloc(SK_BYTES)) == NULL)
		return KF_E_NOMEM;
	crypto_box_keypair(key.pub.pk, key.sk);
	key_id(key.pub.pk, key.pub.id);
	if ((e = keyfile_upgrade(&key, name)) == KF_OK)
		e = create_files(skpath, pkpath, &key, pass, passlen, ops,
		    mem);
	keyfile_lock(&key);
	return e;
}

enum kf_err
keyfile_rewrite(const char *skpath, const struct seckey *key,
    const char *pass, size_t passlen, uint64_t ops, size_t mem)
{
	char text[2048], tmp[4096];
	enum kf_err e;
	int fd;

	e = secret_text(key, pass, passlen, ops, mem, text, sizeof(text));
	if (e != KF_OK)
		return e;
	if (snprintf(tmp, sizeof(tmp), "%s.new-XXXXXX", skpath) >=
	    (int)sizeof(tmp) || (fd = mkstemp(tmp)) < 0)
		return KF_E_IO;
	close(fd);
	unlink(tmp);	/* write_new creates it again, O_EXCL, 0600 */
	if ((e = write_new(tmp, 0600, text)) == KF_OK &&
	    rename(tmp, skpath) != 0) {
		unlink(tmp);
		e = KF_E_IO;
	}
	return e;
}

const char *
keyfile_strerror(enum kf_err e)
{
	switch (e) {
	case KF_OK:		return "ok";
	case KF_E_IO:		return strerror(errno);
	case KF_E_FORMAT:	return "not a tipline key line";
	case KF_E_SECRET:	return "this is a secret key; the server "
				    "needs the public key (tipline pubkey)";
	case KF_E_KEYID:	return "key id does not match the key";
	case KF_E_EMPTY:	return "no key in the file";
	case KF_E_TOO_MANY:	return "too many keys";
	case KF_E_LIMITS:	return "key derivation cost out of bounds";
	case KF_E_PASSPHRASE:	return "wrong passphrase (or damaged key file)";
	case KF_E_NOMEM:	return "out of memory";
	case KF_E_EXISTS:	return "file exists; refusing to overwrite it";
	case KF_E_NAME:		return "not a valid analyst name (1 to 64 "
				    "printable characters, no space at either "
				    "end)";
	case KF_E_DUP:		return "the same key or name is in the team "
				    "twice";
	case KF_E_V1:		return "a v1 public key has no signing key; "
				    "the team file needs identity lines (TLID1)";
	}
	return "unknown error";
}
