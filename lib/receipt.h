/*
 * Receipts (docs/FORMATS.md, "Receipt"): what a reporter keeps to come
 * back. 100 bits in Crockford's base32 (20 characters), a Luhn mod 32
 * check character, grouped by four with dashes:
 * "7KQ2-M9XD-4HJT-P0WC-R6NA-E". From the 20 data characters alone,
 * receipt_derive computes the lookup id the database keeps and the
 * report's X25519 key pair (public half kept, secret half only in the
 * request that needs it). receipt_parse is pure: bytes in, an enum out.
 */
#ifndef TIPLINE_RECEIPT_H
#define TIPLINE_RECEIPT_H

#include <stddef.h>

#define RECEIPT_DATA	20	/* data characters: 100 bits */
#define RECEIPT_CHARS	26	/* grouped: 5 x 4, 5 dashes, the check */
#define RECEIPT_LOOKUP	32	/* bytes of a lookup id */
#define RECEIPT_KEY	32	/* the X25519 key pair's halves */
#define RECEIPT_SECRET	32	/* the server secret it can be made from */
#define RECEIPT_NONCE	16	/* a form token's nonce (lib/token.h) */

enum receipt_err {
	RECEIPT_OK = 0,
	RECEIPT_E_LENGTH,	/* not 21 characters once dashes are gone */
	RECEIPT_E_CHAR,		/* a character outside the alphabet */
	RECEIPT_E_CHECK,	/* the check character does not match: a typo */
};

/* The canonical form: 20 upper-case data characters and a NUL. */
struct receipt {
	char	data[RECEIPT_DATA + 1];
};

/* Reads a typed receipt: any case, dashes and spaces anywhere, O read
 * as 0, I and L as 1. Fills r only when it returns RECEIPT_OK. */
enum receipt_err	 receipt_parse(const char *s, size_t n,
			    struct receipt *r);
const char		*receipt_strerror(enum receipt_err);
/* The receipt of the report made with a form token's nonce: a keyed
 * hash under the server secret, so that a re-sent POST shows the same
 * receipt and nothing but the secret and the nonce make it. */
void			 receipt_from_nonce(const unsigned char
			    secret[RECEIPT_SECRET], const unsigned char
			    nonce[RECEIPT_NONCE], struct receipt *r);
/* A random receipt (what a bot is shown). */
void			 receipt_random(struct receipt *r);
/* "XXXX-XXXX-XXXX-XXXX-XXXX-C" and a NUL. */
void			 receipt_format(const struct receipt *r,
			    char out[RECEIPT_CHARS + 1]);
/* The lookup id and the key pair. sk may be NULL (only the public half
 * is needed at intake); when given, the caller wipes it after use.
 * Returns 0, or -1 if libsodium fails. */
int			 receipt_derive(const struct receipt *r,
			    unsigned char lookup[RECEIPT_LOOKUP],
			    unsigned char pk[RECEIPT_KEY],
			    unsigned char sk[RECEIPT_KEY]);

#endif
