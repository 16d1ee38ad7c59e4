/* Key files: write and read back, wrong passphrase, no overwrite, mode
 * 0600, a secret key where a public key belongs, damaged files. */
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "t.h"

#include "keyfile.h"

#define OPS crypto_pwhash_OPSLIMIT_MIN
#define MEM crypto_pwhash_MEMLIMIT_MIN

static char dir[] = "/tmp/t_keyfile.XXXXXX";
static char skp[256], pkp[256];

static char *
slurp(const char *path, size_t *n)
{
	char *b = NULL;

	CHECK(keyfile_slurp(path, MAX_KEYFILE, &b, n) == KF_OK);
	return b;
}

TEST(keygen_writes_a_secret_and_a_public_file)
{
	struct stat st;

	CHECK(keyfile_create(skp, pkp, "pw", 2, OPS, MEM) == KF_OK);
	CHECK(stat(skp, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(pkp, &st) == 0);
}

TEST(keygen_never_overwrites)
{
	size_t n1, n2;
	char *before = slurp(skp, &n1), *after;

	CHECK(keyfile_create(skp, pkp, "pw", 2, OPS, MEM) == KF_E_EXISTS);
	after = slurp(skp, &n2);
	CHECK(before && after && n1 == n2 && memcmp(before, after, n1) == 0);
	free(before);
	free(after);
}

TEST(the_secret_key_unlocks_and_matches_the_public_key)
{
	struct recipients rc;
	struct secfile sf;
	struct seckey k;
	size_t n, line;
	char *t;

	t = slurp(pkp, &n);
	CHECK(keyfile_parse_public(t, n, &rc, &line) == KF_OK && rc.n == 1);
	free(t);
	t = slurp(skp, &n);
	CHECK(keyfile_parse_secret(t, n, &sf, &line) == KF_OK);
	CHECK(strstr(t, "# public key: TLPK1 ") != NULL);
	free(t);
	CHECK(keyfile_unlock(&sf, "pw", 2, &k) == KF_OK);
	CHECK(memcmp(k.pub.pk, rc.k[0].pk, PK_BYTES) == 0);
	CHECK(memcmp(k.pub.id, rc.k[0].id, KEY_ID_BYTES) == 0);
	keyfile_lock(&k);
	CHECK(k.sk == NULL);
}

/* What the CLI's agent keeps: the decrypted form gives back the same
 * key, and a changed one is refused by the key id check. */
TEST(the_plain_form_round_trips_and_is_checked_against_the_id)
{
	unsigned char pt[SK_BYTES + SIGN_SEED_BYTES];
	struct secfile sf;
	struct seckey k, again;
	size_t n, line;
	char *t = slurp(skp, &n);

	CHECK(keyfile_parse_secret(t, n, &sf, &line) == KF_OK);
	free(t);
	CHECK(keyfile_plain_len(&sf) == SK_BYTES);
	CHECK(keyfile_unlock(&sf, "pw", 2, &k) == KF_OK);
	keyfile_plain(&k, pt);
	CHECK(keyfile_unlock_plain(&sf, pt, &again) == KF_OK);
	CHECK(memcmp(again.sk, k.sk, SK_BYTES) == 0);
	CHECK(memcmp(again.pub.pk, k.pub.pk, PK_BYTES) == 0);
	CHECK(again.sign_sk == NULL);
	keyfile_lock(&again);
	pt[1] ^= 1;	/* not bit 0: X25519 clamps the low three bits */
	CHECK(keyfile_unlock_plain(&sf, pt, &again) == KF_E_KEYID);
	CHECK(again.sk == NULL);
	sodium_memzero(pt, sizeof(pt));
	keyfile_lock(&k);
}

TEST(a_wrong_passphrase_fails)
{
	struct secfile sf;
	struct seckey k;
	size_t n, line;
	char *t = slurp(skp, &n);

	CHECK(keyfile_parse_secret(t, n, &sf, &line) == KF_OK);
	free(t);
	CHECK(keyfile_unlock(&sf, "pW", 2, &k) == KF_E_PASSPHRASE);
	CHECK(keyfile_unlock(&sf, "pw ", 3, &k) == KF_E_PASSPHRASE);
	CHECK(keyfile_unlock(&sf, "", 0, &k) == KF_E_PASSPHRASE);
	CHECK(k.sk == NULL);
}

TEST(a_changed_blob_or_key_id_fails)
{
	struct secfile sf, bad;
	struct seckey k;
	size_t n, line, i;
	char *t = slurp(skp, &n);
	int opened = 0;

	CHECK(keyfile_parse_secret(t, n, &sf, &line) == KF_OK);
	free(t);
	for (i = 32; i < SK_BLOB; i += 7) {	/* nonce and ciphertext */
		bad = sf;
		bad.blob[i] ^= 0x40;
		opened += keyfile_unlock(&bad, "pw", 2, &k) == KF_OK;
	}
	bad = sf;
	bad.id[0] ^= 1;
	opened += keyfile_unlock(&bad, "pw", 2, &k) == KF_OK;
	CHECK(opened == 0);
}

TEST(hostile_argon2_limits_are_refused)
{
	struct secfile sf;
	struct seckey k;
	size_t n, line;
	char *t = slurp(skp, &n);

	CHECK(keyfile_parse_secret(t, n, &sf, &line) == KF_OK);
	free(t);
	memset(sf.blob + 24, 0xff, 8);	/* memlimit: 16 EiB */
	CHECK(keyfile_unlock(&sf, "pw", 2, &k) == KF_E_LIMITS);
	memset(sf.blob + 16, 0xff, 8);
	CHECK(keyfile_unlock(&sf, "pw", 2, &k) == KF_E_LIMITS);
}

TEST(a_secret_key_is_refused_as_a_recipient)
{
	struct recipients rc;
	size_t n, line;
	char *t = slurp(skp, &n);

	CHECK(keyfile_parse_public(t, n, &rc, &line) == KF_E_SECRET);
	CHECK(line == 4);
	free(t);
}

TEST(recipients_files_are_parsed_strictly)
{
	struct recipients rc;
	size_t n, line;
	char *pub = slurp(pkp, &n), *key, buf[4096];

	key = strstr(pub, "TLPK1");
	key[strcspn(key, "\n")] = '\0';
	snprintf(buf, sizeof(buf), "# two\n\n  # indented comment\r\n%s\r\n"
	    "%s\n", key, key);
	CHECK(keyfile_parse_public(buf, strlen(buf), &rc, &line) == KF_OK);
	CHECK(rc.n == 2);
	CHECK(keyfile_parse_public("", 0, &rc, &line) == KF_E_EMPTY);
	CHECK(keyfile_parse_public("# only\n", 7, &rc, &line) == KF_E_EMPTY);
	snprintf(buf, sizeof(buf), "%s\nnonsense\n", key);
	CHECK(keyfile_parse_public(buf, strlen(buf), &rc, &line) ==
	    KF_E_FORMAT && line == 2);
	snprintf(buf, sizeof(buf), "%s", key);
	buf[6] = buf[6] == '0' ? '1' : '0';	/* key id */
	CHECK(keyfile_parse_public(buf, strlen(buf), &rc, &line) ==
	    KF_E_KEYID);
	snprintf(buf, sizeof(buf), "%s", key);
	buf[strlen(buf) - 3] = '!';		/* base64 */
	CHECK(keyfile_parse_public(buf, strlen(buf), &rc, &line) ==
	    KF_E_FORMAT);
	snprintf(buf, sizeof(buf), "%sAAAA", key);	/* too long */
	CHECK(keyfile_parse_public(buf, strlen(buf), &rc, &line) ==
	    KF_E_FORMAT);
	memset(buf, 'A', MAX_LINE + 10);
	buf[MAX_LINE + 10] = '\0';
	CHECK(keyfile_parse_public(buf, strlen(buf), &rc, &line) ==
	    KF_E_FORMAT);
	free(pub);
}

TEST(too_many_recipients_are_refused)
{
	struct recipients rc;
	size_t n, line, i;
	char *pub = slurp(pkp, &n), *key, *buf = malloc(64 * 1024);

	key = strstr(pub, "TLPK1");
	key[strcspn(key, "\n")] = '\0';
	buf[0] = '\0';
	for (i = 0; i <= MAX_RECIPIENTS; i++) {
		strcat(buf, key);
		strcat(buf, "\n");
	}
	CHECK(keyfile_parse_public(buf, strlen(buf), &rc, &line) ==
	    KF_E_TOO_MANY);
	free(buf);
	free(pub);
}

/* keyfile_slurp now has one cleanup path (static analysis: its fclose
 * calls were unchecked and spread over three returns); every way out
 * still frees and closes, which the ASan build checks. */
TEST(slurp_refuses_a_missing_file_and_one_over_its_bound)
{
	size_t n = 0;
	char *b = NULL, path[300];

	snprintf(path, sizeof(path), "%s/none", dir);
	CHECK(keyfile_slurp(path, MAX_KEYFILE, &b, &n) == KF_E_IO);
	CHECK(b == NULL);
	CHECK(keyfile_slurp(pkp, 10, &b, &n) == KF_E_FORMAT);
	CHECK(b == NULL);
	CHECK(keyfile_slurp(pkp, MAX_KEYFILE, &b, &n) == KF_OK);
	CHECK(b != NULL && n > 10 && b[n] == '\0' && strlen(b) == n);
	free(b);
}

int
main(void)
{
	int rv;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(skp, sizeof(skp), "%s/k.key", dir);
	snprintf(pkp, sizeof(pkp), "%s/k.pub", dir);
	RUN(keygen_writes_a_secret_and_a_public_file);
	RUN(keygen_never_overwrites);
	RUN(the_secret_key_unlocks_and_matches_the_public_key);
	RUN(the_plain_form_round_trips_and_is_checked_against_the_id);
	RUN(a_wrong_passphrase_fails);
	RUN(a_changed_blob_or_key_id_fails);
	RUN(hostile_argon2_limits_are_refused);
	RUN(a_secret_key_is_refused_as_a_recipient);
	RUN(recipients_files_are_parsed_strictly);
	RUN(too_many_recipients_are_refused);
	RUN(slurp_refuses_a_missing_file_and_one_over_its_bound);
	rv = T_DONE();
	unlink(skp);
	unlink(pkp);
	rmdir(dir);
	return rv;
}
