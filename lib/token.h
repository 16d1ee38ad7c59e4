/*
 * Stateless one-time form tokens: version, issue time and a random nonce,
 * authenticated with crypto_auth (HMAC-SHA-512-256) under the server
 * secret. The server keeps no state until a report is stored; then the
 * nonce is stored in the same transaction, so a token makes one report.
 */
#ifndef TIPLINE_TOKEN_H
#define TIPLINE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_VERSION	1
#define TOKEN_NONCE	16
#define TOKEN_KEY	32	/* crypto_auth_KEYBYTES */
#define TOKEN_RAW	(1 + 8 + TOKEN_NONCE + 32)
#define TOKEN_CHARS	76	/* base64url, no padding, of TOKEN_RAW */

enum token_err {
	TOKEN_OK = 0,
	TOKEN_E_FORMAT,		/* not a token at all */
	TOKEN_E_MAC,		/* forged or made under another secret */
	TOKEN_E_FUTURE,		/* issued after now */
	TOKEN_E_FRESH,		/* younger than the minimum age: a bot */
	TOKEN_E_EXPIRED,
};

void		token_make(const unsigned char key[TOKEN_KEY], uint64_t now,
		    char out[TOKEN_CHARS + 1]);
enum token_err	token_check(const unsigned char key[TOKEN_KEY],
		    const char *s, size_t n, uint64_t now, uint64_t min_age,
		    uint64_t max_age, unsigned char nonce[TOKEN_NONCE]);
const char	*token_strerror(enum token_err);

#endif
