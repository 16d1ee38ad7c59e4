/* Form tokens: create, verify, expire, too fresh, future, forged. Reuse
 * is refused by the store (t_store) because the token is stateless. */
#include <sodium.h>

#include "t.h"

#include "token.h"

static unsigned char key[TOKEN_KEY], other[TOKEN_KEY];

static enum token_err
verify(const char *t, uint64_t now, unsigned char *nonce)
{
	return token_check(key, t, strlen(t), now, 3, 3600, nonce);
}

TEST(a_token_verifies_within_its_window)
{
	char t[TOKEN_CHARS + 1];
	unsigned char n1[TOKEN_NONCE], n2[TOKEN_NONCE];

	token_make(key, 1000, t);
	CHECK(strlen(t) == TOKEN_CHARS);
	CHECK(verify(t, 1003, n1) == TOKEN_OK);
	CHECK(verify(t, 1000 + 3600, n2) == TOKEN_OK);
	CHECK(memcmp(n1, n2, TOKEN_NONCE) == 0);
}

TEST(two_tokens_have_different_nonces)
{
	char a[TOKEN_CHARS + 1], b[TOKEN_CHARS + 1];
	unsigned char na[TOKEN_NONCE], nb[TOKEN_NONCE];

	token_make(key, 1000, a);
	token_make(key, 1000, b);
	CHECK(strcmp(a, b) != 0);
	CHECK(verify(a, 1010, na) == TOKEN_OK && verify(b, 1010, nb) ==
	    TOKEN_OK);
	CHECK(memcmp(na, nb, TOKEN_NONCE) != 0);
}

TEST(too_fresh_expired_and_future_tokens_fail)
{
	char t[TOKEN_CHARS + 1];
	unsigned char n[TOKEN_NONCE];

	token_make(key, 1000, t);
	CHECK(verify(t, 1002, n) == TOKEN_E_FRESH);
	CHECK(verify(t, 1000, n) == TOKEN_E_FRESH);
	CHECK(verify(t, 1000 + 3601, n) == TOKEN_E_EXPIRED);
	CHECK(verify(t, 999, n) == TOKEN_E_FUTURE);
}

TEST(a_token_under_another_secret_is_forged)
{
	char t[TOKEN_CHARS + 1];
	unsigned char n[TOKEN_NONCE];

	token_make(other, 1000, t);
	CHECK(verify(t, 1010, n) == TOKEN_E_MAC);
}

TEST(any_changed_character_fails)
{
	char t[TOKEN_CHARS + 1], u[TOKEN_CHARS + 1];
	unsigned char n[TOKEN_NONCE];
	size_t i;
	int bad = 0;

	token_make(key, 1000, t);
	for (i = 0; i < TOKEN_CHARS; i++) {
		memcpy(u, t, sizeof(u));
		u[i] = u[i] == 'A' ? 'B' : 'A';
		bad += verify(u, 1010, n) == TOKEN_OK;
	}
	CHECK(bad == 0);
}

TEST(malformed_tokens_fail)
{
	char t[TOKEN_CHARS + 1], u[TOKEN_CHARS + 2];
	unsigned char n[TOKEN_NONCE];

	CHECK(verify("", 1010, n) == TOKEN_E_FORMAT);
	CHECK(verify("abc", 1010, n) == TOKEN_E_FORMAT);
	token_make(key, 1000, t);
	t[TOKEN_CHARS - 1] = '\0';
	CHECK(verify(t, 1010, n) == TOKEN_E_FORMAT);
	token_make(key, 1000, t);
	snprintf(u, sizeof(u), "%sA", t);
	CHECK(verify(u, 1010, n) == TOKEN_E_FORMAT);
	t[5] = '*';
	CHECK(verify(t, 1010, n) == TOKEN_E_FORMAT);
	/* same length, embedded NUL: the length given is what counts */
	token_make(key, 1000, t);
	t[10] = '\0';
	CHECK(token_check(key, t, TOKEN_CHARS, 1010, 3, 3600, n) !=
	    TOKEN_OK);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));
	RUN(a_token_verifies_within_its_window);
	RUN(two_tokens_have_different_nonces);
	RUN(too_fresh_expired_and_future_tokens_fail);
	RUN(a_token_under_another_secret_is_forged);
	RUN(any_changed_character_fails);
	RUN(malformed_tokens_fail);
	return T_DONE();
}
