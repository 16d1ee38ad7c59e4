/*
 * decrypt_bound: the bare crypto bound for `make bench`. Opens every
 * envelope in a tipline database with nothing but libsodium, following
 * docs/FORMATS.md section 3 (find our stanza by key id, crypto_box_seal_open
 * the content key, or in v2 X25519 with the epoch key, BLAKE2b and an
 * unwrap; XChaCha20-Poly1305 decrypt, unpad), and prints how many
 * per second. The CLI's decryption rate is compared with this. The rows
 * are read into memory first, so only the crypto is timed, in CPU time
 * (a shared machine's other load stretches wall time far more).
 *
 * usage: decrypt_bound DB SECRET_KEY_HEX_FILE
 * The secret key file holds the 32-byte X25519 secret key as 64 hex
 * digits: the benchmark's throwaway key, unlocked by the driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#define ENV_HEADER	6
#define STANZA		88
#define STANZA2		56
#define EPK		32
#define KEY_ID		8
#define SEALED		80
#define NONCE		24
#define TAG		16
#define MAX_ROWS	1000000
#define MAX_ENV		(2 * 1024 * 1024)

struct row {
	char		 ref[16];
	unsigned char	*env;
	size_t		 len;
};

struct key {
	unsigned char	pk[32], sk[32], id[KEY_ID];
};

static int
load_key(const char *path, struct key *k)
{
	char hex[80];
	size_t n;
	FILE *f;
	int rv = -1;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(hex, sizeof(hex), f) != NULL &&
	    sodium_hex2bin(k->sk, sizeof(k->sk), hex, strlen(hex), "\n", &n,
	    NULL) == 0 && n == sizeof(k->sk)) {
		crypto_scalarmult_base(k->pk, k->sk);
		crypto_generichash(k->id, KEY_ID, k->pk, sizeof(k->pk), NULL,
		    0);
		rv = 0;
	}
	sodium_memzero(hex, sizeof(hex));
	fclose(f);
	return rv;
}

static long
load_rows(const char *path, struct row **out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	struct row *rows;
	long n = -1;

	if ((rows = calloc(MAX_ROWS, sizeof(*rows))) == NULL)
		return -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "SELECT ref, envelope FROM "
	    "reports", -1, &s, NULL) != SQLITE_OK)
		goto out;
	for (n = 0; n < MAX_ROWS && sqlite3_step(s) == SQLITE_ROW; n++) {
		rows[n].len = (size_t)sqlite3_column_bytes(s, 1);
		snprintf(rows[n].ref, sizeof(rows[n].ref), "%s",
		    (const char *)sqlite3_column_text(s, 0));
		if (rows[n].len > MAX_ENV ||
		    (rows[n].env = malloc(rows[n].len)) == NULL) {
			n = -1;
			goto out;
		}
		memcpy(rows[n].env, sqlite3_column_blob(s, 1), rows[n].len);
	}
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	*out = rows;
	return n;
}

/* v2's content key: S = X25519(sk, epk), WK = BLAKE2b-256(key = S,
 * "TLEV" 2 | epk | pk | ref), K = unwrap(stanza[8..56), nonce, WK). */
static int
key_v2(const struct key *k, const struct row *r, const unsigned char *st,
    const unsigned char *nonce, unsigned char ck[32])
{
	crypto_generichash_state h;
	unsigned char s[32], wk[32];
	const unsigned char *epk = r->env + ENV_HEADER;
	int rv = -1;

	if (crypto_scalarmult(s, k->sk, epk) == 0) {
		crypto_generichash_init(&h, s, sizeof(s), sizeof(wk));
		crypto_generichash_update(&h, (const unsigned char *)"TLEV\x02",
		    5);
		crypto_generichash_update(&h, epk, EPK);
		crypto_generichash_update(&h, k->pk, sizeof(k->pk));
		crypto_generichash_update(&h, (const unsigned char *)r->ref,
		    strlen(r->ref));
		crypto_generichash_final(&h, wk, sizeof(wk));
		rv = crypto_aead_xchacha20poly1305_ietf_decrypt(ck, NULL, NULL,
		    st + KEY_ID, 32 + TAG, NULL, 0, nonce, wk);
	}
	sodium_memzero(s, sizeof(s));
	sodium_memzero(wk, sizeof(wk));
	return rv;
}

/* One envelope, v1 or v2: 0 if it opens to a padded record. */
static int
open_one(const struct key *k, const struct row *r, unsigned char *pt)
{
	unsigned char ck[32], ad[64];
	const unsigned char *e = r->env, *st = NULL, *nonce;
	size_t nrec, first, size, fixed, adlen, unpadded, i;
	unsigned long long ptlen;
	int rv = -1, v;

	if (r->len < ENV_HEADER || memcmp(e, "TLEV", 4) != 0 ||
	    (e[4] != 1 && e[4] != 2))
		return -1;
	v = e[4];
	nrec = e[5];
	first = v == 1 ? ENV_HEADER : ENV_HEADER + EPK;
	size = v == 1 ? STANZA : STANZA2;
	fixed = first + nrec * size + NONCE + TAG;
	if (nrec < 1 || r->len < fixed + 1)
		return -1;
	for (i = 0; i < nrec && st == NULL; i++)
		if (memcmp(e + first + i * size, k->id, KEY_ID) == 0)
			st = e + first + i * size;
	nonce = e + first + nrec * size;
	if (st == NULL || (v == 1 ? crypto_box_seal_open(ck, st + KEY_ID,
	    SEALED, k->pk, k->sk) : key_v2(k, r, st, nonce, ck)) != 0)
		return -1;
	adlen = 5 + strlen(r->ref);
	memcpy(ad, "TLEV", 4);
	ad[4] = (unsigned char)v;
	memcpy(ad + 5, r->ref, strlen(r->ref));
	/* nonce, then ciphertext and tag up to the end (section 3) */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
	    nonce + NONCE, r->len - (size_t)(nonce + NONCE - e), ad, adlen,
	    nonce, ck) == 0 &&
	    sodium_unpad(&unpadded, pt, (size_t)ptlen, (size_t)ptlen) == 0)
		rv = 0;
	sodium_memzero(ck, sizeof(ck));
	return rv;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct row *rows = NULL;
	struct key k;
	unsigned char *pt = NULL;
	long n, i, bad = 0;
	double secs;
	int rv = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: decrypt_bound DB SECRET_KEY_HEX_FILE\n");
		return 2;
	}
	if (sodium_init() < 0 || load_key(argv[2], &k) != 0) {
		fprintf(stderr, "decrypt_bound: cannot load the key %s\n",
		    argv[2]);
		return 1;
	}
	if ((n = load_rows(argv[1], &rows)) <= 0 ||
	    (pt = malloc(MAX_ENV)) == NULL) {
		fprintf(stderr, "decrypt_bound: no rows read from %s\n",
		    argv[1]);
		goto out;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (i = 0; i < n; i++)
		bad += open_one(&k, &rows[i], pt) != 0;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec -
	    t0.tv_nsec) / 1e9;
	printf("{\"rows\": %ld, \"bad\": %ld, \"seconds\": %.6f, "
	    "\"per_second\": %.1f}\n", n, bad, secs, (double)n / secs);
	rv = bad == 0 ? 0 : 1;
out:
	sodium_memzero(&k, sizeof(k));
	if (pt != NULL)
		sodium_memzero(pt, MAX_ENV);
	free(pt);
	for (i = 0; rows != NULL && i < MAX_ROWS && rows[i].env != NULL; i++)
		free(rows[i].env);
	free(rows);
	return rv;
}
