/* Receipts (lib/receipt.c): format, reading back as people type them,
 * typos caught by the check character, the same receipt from the same
 * nonce, and derivation (lookup id and key pair from the data alone). */
#include <sodium.h>

#include "t.h"

#include "receipt.h"

#define VECTOR_CHECK "N"
#define VECTOR_LOOKUP \
    "ac5b98b180803779b66b1f81ac13c88a324ae2f21bfc9b8f139beb5919e3fe4d"
#define VECTOR_PUBLIC \
    "8cd75a168ba5a3033c0d5cb839b0d7af4bb7cffd98e25d81e17207825a8b6d30"

static unsigned char secret[RECEIPT_SECRET], nonce[RECEIPT_NONCE];

static enum receipt_err
parse(const char *s, struct receipt *r)
{
	return receipt_parse(s, strlen(s), r);
}

TEST(a_receipt_is_grouped_with_a_check_character)
{
	struct receipt r;
	char s[RECEIPT_CHARS + 1];
	size_t i;

	receipt_random(&r);
	receipt_format(&r, s);
	CHECK(strlen(s) == RECEIPT_CHARS);
	for (i = 0; i < RECEIPT_CHARS; i++)
		CHECK((i % 5 == 4) == (s[i] == '-'));
	CHECK(strspn(s, "0123456789ABCDEFGHJKMNPQRSTVWXYZ-") == RECEIPT_CHARS);
}

TEST(a_receipt_reads_back_in_any_case_with_or_without_dashes)
{
	struct receipt r, back;
	char s[RECEIPT_CHARS + 1], low[RECEIPT_CHARS + 1], bare[32];
	size_t i, k = 0;

	receipt_random(&r);
	receipt_format(&r, s);
	CHECK(parse(s, &back) == RECEIPT_OK);
	CHECK(strcmp(back.data, r.data) == 0);
	for (i = 0; i <= RECEIPT_CHARS; i++) {
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
		if (s[i] != '-')
			bare[k++] = low[i];
	}
	memset(&back, 0, sizeof(back));
	CHECK(parse(low, &back) == RECEIPT_OK);
	CHECK(strcmp(back.data, r.data) == 0);
	memset(&back, 0, sizeof(back));
	CHECK(parse(bare, &back) == RECEIPT_OK);
	CHECK(strcmp(back.data, r.data) == 0);
}

TEST(o_i_and_l_read_as_zero_and_one)
{
	struct receipt r, back;
	char s[RECEIPT_CHARS + 1];
	size_t i;

	memcpy(r.data, "01010101010101010101", RECEIPT_DATA + 1);
	receipt_format(&r, s);
	for (i = 0; i < RECEIPT_CHARS - 2; i++)
		if (s[i] == '0')
			s[i] = 'o';
		else if (s[i] == '1')
			s[i] = i % 2 ? 'L' : 'i';
	CHECK(parse(s, &back) == RECEIPT_OK);
	CHECK(strcmp(back.data, r.data) == 0);
}

TEST(every_single_wrong_character_is_caught)
{
	static const char a[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct receipt r, back;
	char s[RECEIPT_CHARS + 1], t[RECEIPT_CHARS + 1];
	size_t i, j;
	int missed = 0;

	receipt_random(&r);
	receipt_format(&r, s);
	for (i = 0; i < RECEIPT_CHARS; i++) {
		if (s[i] == '-')
			continue;
		for (j = 0; j < 32; j++) {
			if (a[j] == s[i])
				continue;
			memcpy(t, s, sizeof(t));
			t[i] = a[j];
			missed += parse(t, &back) != RECEIPT_E_CHECK;
		}
	}
	CHECK(missed == 0);
}

TEST(swapped_neighbours_are_caught_except_zero_and_z)
{
	struct receipt r, back;
	char s[RECEIPT_CHARS + 1], t[RECEIPT_CHARS + 1];
	int n, i, missed;

	for (n = 0; n < 200; n++) {
		receipt_random(&r);
		receipt_format(&r, s);
		for (i = 0, missed = 0; i + 1 < RECEIPT_CHARS; i++) {
			if (s[i] == '-' || s[i + 1] == '-' || s[i] == s[i + 1])
				continue;
			memcpy(t, s, sizeof(t));
			t[i] = s[i + 1];
			t[i + 1] = s[i];
			if (parse(t, &back) != RECEIPT_E_CHECK &&
			    !((s[i] == '0' && s[i + 1] == 'Z') ||
			    (s[i] == 'Z' && s[i + 1] == '0')))
				missed++;
		}
		CHECK(missed == 0);
	}
}

TEST(wrong_lengths_and_characters_are_refused)
{
	struct receipt r;
	char longer[200];

	CHECK(parse("", &r) == RECEIPT_E_LENGTH);
	CHECK(parse("7KQ2-M9XD-4HJT-P0WC-R6NA", &r) == RECEIPT_E_LENGTH);
	CHECK(parse("7KQ2-M9XD-4HJT-P0WC-R6NA-EE", &r) == RECEIPT_E_LENGTH);
	CHECK(parse("7KQ2-M9XD-4HJT-P0WC-R6NA-U", &r) == RECEIPT_E_CHAR);
	CHECK(parse("7KQ2-M9XD-4HJT-P0WC-R6N\xc3\xa9", &r) == RECEIPT_E_CHAR);
	CHECK(parse("7KQ2_M9XD_4HJT_P0WC_R6NA_E", &r) == RECEIPT_E_CHAR);
	memset(longer, '-', sizeof(longer));
	memcpy(longer + 150, "7KQ2M9XD4HJTP0WCR6NAE", 21);
	CHECK(receipt_parse(longer, sizeof(longer), &r) == RECEIPT_E_LENGTH);
	CHECK(receipt_strerror(RECEIPT_E_CHECK) != NULL);
}

TEST(the_same_nonce_gives_the_same_receipt_another_secret_another)
{
	struct receipt a, b, c;
	unsigned char other[RECEIPT_SECRET];

	receipt_from_nonce(secret, nonce, &a);
	receipt_from_nonce(secret, nonce, &b);
	CHECK(strcmp(a.data, b.data) == 0);
	memcpy(other, secret, sizeof(other));
	other[0] ^= 1;
	receipt_from_nonce(other, nonce, &c);
	CHECK(strcmp(a.data, c.data) != 0);
	nonce[5] ^= 1;
	receipt_from_nonce(secret, nonce, &c);
	CHECK(strcmp(a.data, c.data) != 0);
}

TEST(derivation_is_deterministic_and_the_key_pair_matches)
{
	unsigned char l1[RECEIPT_LOOKUP], l2[RECEIPT_LOOKUP], pk[RECEIPT_KEY];
	unsigned char pk2[RECEIPT_KEY], sk[RECEIPT_KEY], calc[RECEIPT_KEY];
	struct receipt r, o;

	receipt_random(&r);
	CHECK(receipt_derive(&r, l1, pk, sk) == 0);
	CHECK(receipt_derive(&r, l2, pk2, NULL) == 0);
	CHECK(memcmp(l1, l2, sizeof(l1)) == 0);
	CHECK(memcmp(pk, pk2, sizeof(pk)) == 0);
	CHECK(crypto_scalarmult_base(calc, sk) == 0);
	CHECK(memcmp(calc, pk, sizeof(pk)) == 0);
	CHECK(memcmp(l1, pk, sizeof(pk)) != 0);
	o = r;
	o.data[19] = o.data[19] == '0' ? '1' : '0';
	CHECK(receipt_derive(&o, l2, pk2, NULL) == 0);
	CHECK(memcmp(l1, l2, sizeof(l1)) != 0);
	CHECK(memcmp(pk, pk2, sizeof(pk)) != 0);
}

/* The vector docs/FORMATS.md ("Receipt") gives, which
 * tests/integration/test_receipt.py recomputes with PyNaCl alone. */
TEST(the_documented_vector)
{
	unsigned char lookup[RECEIPT_LOOKUP], pk[RECEIPT_KEY];
	char hex[2 * RECEIPT_LOOKUP + 1], s[RECEIPT_CHARS + 1];
	struct receipt r;

	CHECK(parse("7KQ2-M9XD-4HJT-P0WC-R6NA-" VECTOR_CHECK, &r) ==
	    RECEIPT_OK);
	receipt_format(&r, s);
	printf("# receipt %s\n", s);
	CHECK(receipt_derive(&r, lookup, pk, NULL) == 0);
	sodium_bin2hex(hex, sizeof(hex), lookup, sizeof(lookup));
	printf("# lookup %s\n", hex);
	CHECK(strcmp(hex, VECTOR_LOOKUP) == 0);
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	printf("# public %s\n", hex);
	CHECK(strcmp(hex, VECTOR_PUBLIC) == 0);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(secret, sizeof(secret));
	randombytes_buf(nonce, sizeof(nonce));
	RUN(a_receipt_is_grouped_with_a_check_character);
	RUN(a_receipt_reads_back_in_any_case_with_or_without_dashes);
	RUN(o_i_and_l_read_as_zero_and_one);
	RUN(every_single_wrong_character_is_caught);
	RUN(swapped_neighbours_are_caught_except_zero_and_z);
	RUN(wrong_lengths_and_characters_are_refused);
	RUN(the_same_nonce_gives_the_same_receipt_another_secret_another);
	RUN(derivation_is_deterministic_and_the_key_pair_matches);
	RUN(the_documented_vector);
	return T_DONE();
}
