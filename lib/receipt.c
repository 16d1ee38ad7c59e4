/*
 * Receipts; the byte-exact definition is docs/FORMATS.md, "Receipt".
 * Crockford's base32 alphabet (https://www.crockford.com/base32.html)
 * without his mod-37 check symbols ("*~$=U" are hard to say and to
 * type): the check character is Luhn mod N with N = 32, which catches
 * every single wrong character and every swap of two neighbours except
 * 0 and Z. Derivation uses libsodium's BLAKE2b (crypto_generichash,
 * crypto_kdf) only: the 100 random bits need no slow hashing, and a
 * memory-hard one would let anyone exhaust a 2-core server.
 */
#include <string.h>

#include <sodium.h>

#include "bounds.h"
#include "receipt.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Personalisation of every derivation: 8 bytes, crypto_kdf's context. */
static const char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "tlrcpt01";
/* The key of the first hash: domain separation, not a secret. */
static const char root_key[] = "tipline receipt v1";

_Static_assert(sizeof(root_key) - 1 >= crypto_generichash_KEYBYTES_MIN,
    "root key length");
_Static_assert(RECEIPT_KEY == crypto_box_SEEDBYTES, "seed size");
_Static_assert(RECEIPT_KEY == crypto_box_PUBLICKEYBYTES, "public key size");
_Static_assert(RECEIPT_KEY == crypto_box_SECRETKEYBYTES, "secret key size");
_Static_assert(RECEIPT_SECRET == crypto_kdf_KEYBYTES, "server secret size");

/* A character's value, reading O as 0 and I, L as 1; -1 outside. */
static int
char_value(char ch)
{
	const char *p;

	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	if (ch == 'O')
		ch = '0';
	else if (ch == 'I' || ch == 'L')
		ch = '1';
	if (ch == '\0' || (p = strchr(alphabet, ch)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

/* Luhn mod 32 over values v[0..n-1], the last one doubled first: the
 * value that makes the sum of the whole string 0 mod 32. */
static int
luhn_sum(const int *v, size_t n, int factor)
{
	size_t i;
	int sum = 0, a;

	for (i = n; i-- > 0; factor = factor == 2 ? 1 : 2) {
		a = factor * v[i];
		sum += a / 32 + a % 32;
	}
	return sum % 32;
}

static int
check_value(const char data[RECEIPT_DATA])
{
	int v[RECEIPT_DATA];
	size_t i;

	for (i = 0; i < RECEIPT_DATA; i++)
		v[i] = char_value(data[i]);
	return (32 - luhn_sum(v, RECEIPT_DATA, 2)) % 32;
}

enum receipt_err
receipt_parse(const char *s, size_t n, struct receipt *r)
{
	int v[RECEIPT_DATA + 1];
	size_t i, k = 0;

	if (n > MAX_RECEIPT_INPUT)
		return RECEIPT_E_LENGTH;
	for (i = 0; i < n; i++) {
		if (s[i] == '-' || s[i] == ' ')
			continue;
		if (k == RECEIPT_DATA + 1)
			return RECEIPT_E_LENGTH;
		if ((v[k++] = char_value(s[i])) < 0)
			return RECEIPT_E_CHAR;
	}
	if (k != RECEIPT_DATA + 1)
		return RECEIPT_E_LENGTH;
	if (luhn_sum(v, RECEIPT_DATA + 1, 1) != 0)
		return RECEIPT_E_CHECK;
	for (i = 0; i < RECEIPT_DATA; i++)
		r->data[i] = alphabet[v[i]];
	r->data[RECEIPT_DATA] = '\0';
	return RECEIPT_OK;
}

const char *
receipt_strerror(enum receipt_err e)
{
	switch (e) {
	case RECEIPT_OK:	return "ok";
	case RECEIPT_E_LENGTH:	return "not 21 characters";
	case RECEIPT_E_CHAR:	return "a character outside the alphabet";
	case RECEIPT_E_CHECK:	return "the check character does not match";
	}
	return "unknown error";
}

/* The first 100 bits of raw, five at a time, most significant first. */
static void
from_bits(const unsigned char raw[13], struct receipt *r)
{
	size_t i, bit;
	int v, j;

	for (i = 0; i < RECEIPT_DATA; i++) {
		for (j = 0, v = 0; j < 5; j++) {
			bit = i * 5 + (size_t)j;
			v = v << 1 | (raw[bit / 8] >> (7 - bit % 8) & 1);
		}
		r->data[i] = alphabet[v];
	}
	r->data[RECEIPT_DATA] = '\0';
}

void
receipt_from_nonce(const unsigned char secret[RECEIPT_SECRET],
    const unsigned char nonce[RECEIPT_NONCE], struct receipt *r)
{
	unsigned char key[crypto_kdf_KEYBYTES], raw[16];

	/* Subkey 3 of the server secret: never the token's MAC key. */
	crypto_kdf_derive_from_key(key, sizeof(key), 3, kdf_context, secret);
	crypto_generichash(raw, sizeof(raw), nonce, RECEIPT_NONCE, key,
	    sizeof(key));
	from_bits(raw, r);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(raw, sizeof(raw));
}

void
receipt_random(struct receipt *r)
{
	unsigned char raw[13];

	randombytes_buf(raw, sizeof(raw));
	from_bits(raw, r);
	sodium_memzero(raw, sizeof(raw));
}

void
receipt_format(const struct receipt *r, char out[RECEIPT_CHARS + 1])
{
	size_t i, k = 0;

	for (i = 0; i < RECEIPT_DATA; i++) {
		if (i > 0 && i % 4 == 0)
			out[k++] = '-';
		out[k++] = r->data[i];
	}
	out[k++] = '-';
	out[k++] = alphabet[check_value(r->data)];
	out[k] = '\0';
}

int
receipt_derive(const struct receipt *r, unsigned char lookup[RECEIPT_LOOKUP],
    unsigned char pk[RECEIPT_KEY], unsigned char sk[RECEIPT_KEY])
{
	unsigned char root[crypto_kdf_KEYBYTES], seed[RECEIPT_KEY];
	unsigned char skb[RECEIPT_KEY];
	int rv = -1;

	if (crypto_generichash(root, sizeof(root),
	    (const unsigned char *)r->data, RECEIPT_DATA,
	    (const unsigned char *)root_key, sizeof(root_key) - 1) != 0 ||
	    crypto_kdf_derive_from_key(lookup, RECEIPT_LOOKUP, 1, kdf_context,
	    root) != 0 ||
	    crypto_kdf_derive_from_key(seed, sizeof(seed), 2, kdf_context,
	    root) != 0 ||
	    crypto_box_seed_keypair(pk, skb, seed) != 0)
		goto out;
	if (sk != NULL)
		memcpy(sk, skb, sizeof(skb));
	rv = 0;
out:
	sodium_memzero(root, sizeof(root));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(skb, sizeof(skb));
	return rv;
}
