/*
 * Form tokens; the byte layout is in docs/FORMATS.md. Only libsodium's
 * crypto_auth and its constant-time verification are used.
 */
#include <string.h>

#include <sodium.h>

#include "token.h"

_Static_assert(TOKEN_KEY == crypto_auth_KEYBYTES, "token key size");
_Static_assert(TOKEN_RAW == 1 + 8 + TOKEN_NONCE + crypto_auth_BYTES,
    "token layout");

static void
put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void
token_make(const unsigned char key[TOKEN_KEY], uint64_t now,
    char out[TOKEN_CHARS + 1])
{
	unsigned char raw[TOKEN_RAW];

	raw[0] = TOKEN_VERSION;
	put_be64(raw + 1, now);
	randombytes_buf(raw + 9, TOKEN_NONCE);
	crypto_auth(raw + 9 + TOKEN_NONCE, raw, 9 + TOKEN_NONCE, key);
	sodium_bin2base64(out, TOKEN_CHARS + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum token_err
token_check(const unsigned char key[TOKEN_KEY], const char *s, size_t n,
    uint64_t now, uint64_t min_age, uint64_t max_age,
    unsigned char nonce[TOKEN_NONCE])
{
	unsigned char raw[TOKEN_RAW];
	size_t len;
	uint64_t t;

	if (n != TOKEN_CHARS || sodium_base642bin(raw, sizeof(raw), s, n,
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw) || raw[0] != TOKEN_VERSION)
		return TOKEN_E_FORMAT;
	if (crypto_auth_verify(raw + 9 + TOKEN_NONCE, raw, 9 + TOKEN_NONCE,
	    key) != 0)
		return TOKEN_E_MAC;
	t = get_be64(raw + 1);
	if (t > now)
		return TOKEN_E_FUTURE;
	if (now - t < min_age)
		return TOKEN_E_FRESH;
	if (now - t > max_age)
		return TOKEN_E_EXPIRED;
	memcpy(nonce, raw + 9, TOKEN_NONCE);
	return TOKEN_OK;
}

const char *
token_strerror(enum token_err e)
{
	switch (e) {
	case TOKEN_OK:		return "ok";
	case TOKEN_E_FORMAT:	return "malformed token";
	case TOKEN_E_MAC:	return "forged token";
	case TOKEN_E_FUTURE:	return "token from the future";
	case TOKEN_E_FRESH:	return "token too fresh";
	case TOKEN_E_EXPIRED:	return "token expired";
	}
	return "unknown error";
}
