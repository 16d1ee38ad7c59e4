/* Envelopes v1 and v2: round trip, several recipients, padding buckets,
 * and tamper detection (a changed byte, a swapped reference, a wrong
 * key); v2's epochs: one key pair for at most EPOCH_USES reports, a new
 * one for other recipients. */
#include <sodium.h>

#include "t.h"

#include "envelope.h"

static unsigned char pk1[PK_BYTES], sk1[SK_BYTES], pk2[PK_BYTES],
    sk2[SK_BYTES], pk3[PK_BYTES], sk3[SK_BYTES];
static struct recipients rc;

static const char msg[] = "{\"v\":1,\"fields\":{\"description\":\"hi\"}}";

static void
add(const unsigned char *pk)
{
	memcpy(rc.k[rc.n].pk, pk, PK_BYTES);
	key_id(pk, rc.k[rc.n].id);
	rc.n++;
}

static enum env_err
open_with(const unsigned char *env, size_t n, const char *ref,
    const unsigned char *pk, const unsigned char *sk, char **out)
{
	unsigned char *pt = NULL;
	size_t len;
	enum env_err e = envelope_open(env, n, ref, pk, sk, &pt, &len);

	*out = NULL;
	if (e == ENV_OK) {
		*out = strdup((char *)pt);
		CHECK(len == strlen(*out));
		sodium_free(pt);
	}
	return e;
}

TEST(round_trip_for_every_recipient)
{
	unsigned char *env;
	size_t n;
	char *out;

	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", (const unsigned char *)msg,
	    strlen(msg), &env, &n) == 0);
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk1, sk1, &out) == ENV_OK);
	CHECK(out && strcmp(out, msg) == 0);
	free(out);
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk2, sk2, &out) == ENV_OK);
	CHECK(out && strcmp(out, msg) == 0);
	free(out);
	free(env);
}

TEST(length_is_padded_to_a_power_of_two_bucket)
{
	unsigned char *env, buf[5000];
	size_t n, head = ENV_HEADER + 2 * STANZA_BYTES + ENV_NONCE + 16;

	memset(buf, 'x', sizeof(buf));
	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", buf, 1, &env, &n) == 0);
	CHECK(n == head + 1024);
	free(env);
	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", buf, 1023, &env, &n) == 0);
	CHECK(n == head + 1024);
	free(env);
	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", buf, 1024, &env, &n) == 0);
	CHECK(n == head + 2048);
	free(env);
	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", buf, 5000, &env, &n) == 0);
	CHECK(n == head + 8192);
	free(env);
}

TEST(every_changed_byte_is_detected)
{
	unsigned char *env;
	size_t n, i;
	char *out;
	int opened = 0;

	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", (const unsigned char *)msg,
	    strlen(msg), &env, &n) == 0);
	for (i = 0; i < n; i++) {
		env[i] ^= 0x01;
		if (open_with(env, n, "TL-AAAA-BBBB", pk1, sk1, &out) == ENV_OK)
			opened++;
		free(out);
		env[i] ^= 0x01;
	}
	/* The second stanza is not read when opening with key 1. */
	CHECK(opened == STANZA_BYTES);
	CHECK(open_with(env, n - 1, "TL-AAAA-BBBB", pk1, sk1, &out) !=
	    ENV_OK);
	CHECK(open_with(env, 10, "TL-AAAA-BBBB", pk1, sk1, &out) != ENV_OK);
	free(env);
}

TEST(a_swapped_reference_fails)
{
	unsigned char *env;
	size_t n;
	char *out;

	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", (const unsigned char *)msg,
	    strlen(msg), &env, &n) == 0);
	CHECK(open_with(env, n, "TL-AAAA-BBBC", pk1, sk1, &out) == ENV_E_AUTH);
	CHECK(open_with(env, n, "", pk1, sk1, &out) == ENV_E_AUTH);
	free(env);
}

TEST(a_wrong_key_fails)
{
	unsigned char *env;
	size_t n;
	char *out;

	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", (const unsigned char *)msg,
	    strlen(msg), &env, &n) == 0);
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk3, sk3, &out) ==
	    ENV_E_NOKEY);
	/* key 3's secret under key 1's id: the seal does not open */
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk1, sk3, &out) == ENV_E_AUTH);
	free(env);
}

TEST(seal_refuses_no_recipients_and_oversized_records)
{
	struct recipients none;
	unsigned char *env, *big;
	size_t n;

	memset(&none, 0, sizeof(none));
	CHECK(envelope_seal(&none, "TL-AAAA-BBBB", (const unsigned char *)msg,
	    strlen(msg), &env, &n) != 0);
	big = calloc(1, MAX_RECORD + 1);
	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", big, MAX_RECORD + 1, &env,
	    &n) != 0);
	free(big);
}

static const unsigned char *
epk_of(const unsigned char *env)
{
	return env + ENV_HEADER;
}

TEST(v2_round_trip_for_every_recipient_and_layout)
{
	struct seal_epoch *e = seal_epoch_new();
	unsigned char *env;
	size_t n;
	char *out;

	CHECK(e != NULL);
	CHECK(envelope_seal_epoch(e, &rc, "TL-AAAA-BBBB",
	    (const unsigned char *)msg, strlen(msg), &env, &n) == 0);
	CHECK(n == ENV_HEADER + PK_BYTES + 2 * STANZA2_BYTES + ENV_NONCE +
	    1024 + 16);
	CHECK(memcmp(env, "TLEV\x02\x02", 6) == 0);
	CHECK(memcmp(env + ENV_HEADER + PK_BYTES, rc.k[0].id, KEY_ID_BYTES) ==
	    0);
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk1, sk1, &out) == ENV_OK);
	CHECK(out && strcmp(out, msg) == 0);
	free(out);
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk2, sk2, &out) == ENV_OK);
	CHECK(out && strcmp(out, msg) == 0);
	free(out);
	free(env);
	seal_epoch_free(e);
}

TEST(v2_every_changed_byte_a_moved_row_and_a_wrong_key_fail)
{
	struct seal_epoch *e = seal_epoch_new();
	unsigned char *env;
	size_t n, i, bad = 0;
	char *out;

	CHECK(envelope_seal_epoch(e, &rc, "TL-AAAA-BBBB",
	    (const unsigned char *)msg, strlen(msg), &env, &n) == 0);
	for (i = 0; i < n; i++) {
		env[i] ^= 0x01;
		bad += open_with(env, n, "TL-AAAA-BBBB", pk1, sk1, &out) ==
		    ENV_OK;
		free(out);
		env[i] ^= 0x01;
	}
	/* The second stanza is not read when opening with key 1. */
	CHECK(bad == STANZA2_BYTES);
	CHECK(open_with(env, n, "TL-AAAA-BBBC", pk1, sk1, &out) ==
	    ENV_E_AUTH);
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk3, sk3, &out) ==
	    ENV_E_NOKEY);
	free(env);
	seal_epoch_free(e);
}

/* An epoch seals EPOCH_USES reports with one key pair, each with its own
 * content key and nonce; the next report starts a new epoch, and so do
 * other recipients. */
TEST(v2_epoch_rotates_after_its_uses_and_for_other_recipients)
{
	struct seal_epoch *e = seal_epoch_new();
	struct recipients one = rc;
	unsigned char first[PK_BYTES], *env, *prev = NULL;
	size_t n, pn = 0;
	int i, same = 0, nonce_same = 0;
	char *out;

	for (i = 0; i < EPOCH_USES + 1; i++) {
		CHECK(envelope_seal_epoch(e, &rc, "TL-AAAA-BBBB",
		    (const unsigned char *)msg, strlen(msg), &env, &n) == 0);
		if (i == 0)
			memcpy(first, epk_of(env), PK_BYTES);
		if (i < EPOCH_USES)
			same += memcmp(first, epk_of(env), PK_BYTES) == 0;
		else
			CHECK(memcmp(first, epk_of(env), PK_BYTES) != 0);
		if (prev != NULL)
			nonce_same += memcmp(prev + n - 1024 - 16 - ENV_NONCE,
			    env + n - 1024 - 16 - ENV_NONCE, ENV_NONCE) == 0;
		free(prev);
		prev = env;
		pn = n;
	}
	CHECK(same == EPOCH_USES && nonce_same == 0);
	CHECK(open_with(prev, pn, "TL-AAAA-BBBB", pk2, sk2, &out) == ENV_OK);
	free(out);
	one.n = 1;
	CHECK(envelope_seal_epoch(e, &one, "TL-AAAA-BBBB",
	    (const unsigned char *)msg, strlen(msg), &env, &n) == 0);
	CHECK(memcmp(epk_of(prev), epk_of(env), PK_BYTES) != 0);
	CHECK(open_with(env, n, "TL-AAAA-BBBB", pk2, sk2, &out) ==
	    ENV_E_NOKEY);
	free(env);
	free(prev);
	seal_epoch_free(e);
}

TEST(v2_refuses_a_low_order_recipient_key)
{
	struct seal_epoch *e = seal_epoch_new();
	struct recipients bad;
	unsigned char *env = NULL;
	size_t n;

	memset(&bad, 0, sizeof(bad));
	bad.n = 1;	/* the all-zero key: X25519 gives all zeros */
	CHECK(envelope_seal_epoch(e, &bad, "TL-AAAA-BBBB",
	    (const unsigned char *)msg, strlen(msg), &env, &n) != 0);
	CHECK(env == NULL);
	seal_epoch_free(e);
}

/* A grant's halves: the content key one recipient opens, used alone,
 * opens the envelope and nothing else (the AD binds it to its ref); the
 * stanzas' key ids are read in both layouts. */
TEST(content_key_opens_its_envelope_only_both_versions)
{
	unsigned char *env[2], ck[CK_BYTES], bad[CK_BYTES];
	unsigned char ids[MAX_RECIPIENTS][KEY_ID_BYTES], id3[KEY_ID_BYTES];
	struct seal_epoch *e = seal_epoch_new();
	struct env_buf b = { NULL, 0 };
	size_t n[2], len;
	int v;

	CHECK(envelope_seal(&rc, "TL-AAAA-BBBB", (const unsigned char *)msg,
	    strlen(msg), &env[0], &n[0]) == 0);
	CHECK(envelope_seal_epoch(e, &rc, "TL-AAAA-BBBB",
	    (const unsigned char *)msg, strlen(msg), &env[1], &n[1]) == 0);
	key_id(pk3, id3);
	for (v = 0; v < 2; v++) {
		CHECK(envelope_key(env[v], n[v], "TL-AAAA-BBBB", pk2, sk2, ck) ==
		    ENV_OK);
		CHECK(envelope_open_key(env[v], n[v], "TL-AAAA-BBBB", ck, &b,
		    &len) == ENV_OK);
		CHECK(len == strlen(msg) && memcmp(b.p, msg, len) == 0);
		/* Another row's ref, another key: nothing opens. */
		CHECK(envelope_open_key(env[v], n[v], "TL-AAAA-BBBC", ck, &b,
		    &len) == ENV_E_AUTH);
		memcpy(bad, ck, CK_BYTES);
		bad[0] ^= 1;
		CHECK(envelope_open_key(env[v], n[v], "TL-AAAA-BBBB", bad, &b,
		    &len) == ENV_E_AUTH);
		CHECK(envelope_key(env[v], n[v], "TL-AAAA-BBBB", pk3, sk3, ck) ==
		    ENV_E_NOKEY);
		CHECK(envelope_recipients(env[v], n[v], ids) == 2);
		CHECK(memcmp(ids[0], rc.k[0].id, KEY_ID_BYTES) == 0 &&
		    memcmp(ids[1], rc.k[1].id, KEY_ID_BYTES) == 0);
		CHECK(envelope_sealed_to(env[v], n[v], rc.k[1].id) == 1);
		CHECK(envelope_sealed_to(env[v], n[v], id3) == 0);
		CHECK(envelope_recipients(env[v], 5, ids) == 0);
		free(env[v]);
	}
	sodium_memzero(ck, sizeof(ck));
	env_buf_free(&b);
	seal_epoch_free(e);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	crypto_box_keypair(pk1, sk1);
	crypto_box_keypair(pk2, sk2);
	crypto_box_keypair(pk3, sk3);
	add(pk1);
	add(pk2);
	RUN(round_trip_for_every_recipient);
	RUN(length_is_padded_to_a_power_of_two_bucket);
	RUN(every_changed_byte_is_detected);
	RUN(a_swapped_reference_fails);
	RUN(a_wrong_key_fails);
	RUN(seal_refuses_no_recipients_and_oversized_records);
	RUN(v2_round_trip_for_every_recipient_and_layout);
	RUN(v2_every_changed_byte_a_moved_row_and_a_wrong_key_fail);
	RUN(v2_epoch_rotates_after_its_uses_and_for_other_recipients);
	RUN(v2_refuses_a_low_order_recipient_key);
	RUN(content_key_opens_its_envelope_only_both_versions);
	return T_DONE();
}
