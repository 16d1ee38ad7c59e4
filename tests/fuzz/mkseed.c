/*
 * Writes the seeds that cannot be typed by hand, under DIR/<target>/:
 * form tokens under the fuzzers' fixed key and clock, a secret key file
 * at the minimum Argon2id cost with its public key, envelopes sealed to
 * the envelope fuzzer's fixed key, and records as the server builds them.
 * `make fuzz-seeds` runs it; the output is committed in tests/fuzz/corpus/
 * and only needs regenerating when a format changes. `mkseed -c CORPUS`
 * checks that the committed seeds still parse, open and unlock, so that
 * a format change cannot leave the fuzzers starting from dead inputs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#include "envelope.h"
#include "event.h"
#include "keyfile.h"
#include "bounds.h"
#include "record.h"
#include "token.h"

static const char *outdir;

static void
put(const char *target, const char *name, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		abort();
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0) {
		fprintf(stderr, "mkseed: cannot write %s\n", path);
		exit(1);
	}
}

static void
tokens(void)
{
	const unsigned char *key = (const unsigned char *)FUZZ_TOKEN_KEY;
	const unsigned char *other = (const unsigned char *)FUZZ_ENV_SEED;
	char t[TOKEN_CHARS + 1];

	token_make(key, FUZZ_NOW - 60, t);
	put("token", "valid", t, TOKEN_CHARS);
	token_make(key, FUZZ_NOW - 1, t);
	put("token", "too-fresh", t, TOKEN_CHARS);
	token_make(key, FUZZ_NOW + 3600, t);
	put("token", "future", t, TOKEN_CHARS);
	token_make(key, FUZZ_NOW - 2 * FUZZ_MAX_AGE, t);
	put("token", "expired", t, TOKEN_CHARS);
	token_make(other, FUZZ_NOW - 60, t);
	put("token", "other-key", t, TOKEN_CHARS);
}

/* The end of record_of's arguments: a plain NULL may be an int 0 in a
 * variadic call. */
#define END ((const char *)NULL)

/* A report with the given fields set: name, value, name, value, END. */
static char *
record_of(const char *first, ...)
{
	struct report r;
	const char *name, *value;
	va_list ap;
	int k;

	memset(&r, 0, sizeof(r));
	va_start(ap, first);
	for (name = first; name != NULL; name = va_arg(ap, const char *)) {
		value = va_arg(ap, const char *);
		if ((k = field_index(name)) < 0)
			abort();
		r.value[k] = value;
		r.len[k] = strlen(value);
	}
	va_end(ap);
	return record_build(&r, "de");
}

static void
records(char *recs[3])
{
	static char longtext[1500];
	char name[16];
	size_t i;

	for (i = 0; i + 1 < sizeof(longtext); i++)
		longtext[i] = "Sie arbeiten 14 Stunden am Tag.\n"[i % 32];
	recs[0] = record_of("description", "Frauen in einer Bar, Pässe "
	    "abgenommen.", END);
	recs[1] = record_of("type", "labour", "description", longtext,
	    "canton", "ZH", "ongoing", "yes", "minors", "unknown",
	    "contact_ok", "no", END);
	recs[2] = record_of("type", "sexual", "description", "\"quoted\" "
	    "<b>tags</b> & \\ backslash \xe2\x80\x94 \xf0\x9f\x98\x80",
	    "municipality", "Lausanne", "address", "Rue 1", "place_type",
	    "salon", "when", "2026", "victims_count", "3", "victims_ages",
	    "20-30", "victims_gender", "f", "victims_origin", "RO",
	    "suspects", "two men", "suspect_names", "X", "suspect_role",
	    "boss", "vehicles", "VD 123", "online", "https://ex.invalid/",
	    "source", "saw", "contact", "-", END);
	for (i = 0; i < 3; i++) {
		if (recs[i] == NULL)
			abort();
		snprintf(name, sizeof(name), "record-%zu", i);
		put("record", name, recs[i], strlen(recs[i]));
	}
}

static void
envelopes(char *recs[3], const struct pubkey *us, const struct pubkey *them)
{
	struct seal_epoch *epoch = seal_epoch_new();
	struct recipients rc;
	unsigned char *env;
	char name[32];
	size_t i, n;

	if (epoch == NULL)
		abort();
	for (i = 0; i < 3; i++) {
		memset(&rc, 0, sizeof(rc));
		/* The first to us alone; the others also to a second
		 * recipient, listed before us. */
		if (i > 0)
			rc.k[rc.n++] = *them;
		rc.k[rc.n++] = *us;
		if (envelope_seal(&rc, FUZZ_REF, (unsigned char *)recs[i],
		    strlen(recs[i]), &env, &n) != 0)
			abort();
		snprintf(name, sizeof(name), "sealed-%zu", i);
		put("envelope", name, env, n);
		free(env);
		/* The same in v2, as the server seals reports now. */
		if (envelope_seal_epoch(epoch, &rc, FUZZ_REF,
		    (unsigned char *)recs[i], strlen(recs[i]), &env, &n) != 0)
			abort();
		snprintf(name, sizeof(name), "epoch-%zu", i);
		put("envelope", name, env, n);
		free(env);
	}
	seal_epoch_free(epoch);
}

/* A secret key file at the cheapest cost, and recipients files. */
static void
keys(const struct pubkey *them)
{
	char sk[1024], pk[1024], line[128], text[512];

	snprintf(sk, sizeof(sk), "%s/keyfile", outdir);
	snprintf(pk, sizeof(pk), "%s/recipients", outdir);
	if ((mkdir(sk, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(pk, 0755) != 0 && errno != EEXIST))
		abort();
	snprintf(sk, sizeof(sk), "%s/keyfile/min-cost", outdir);
	snprintf(pk, sizeof(pk), "%s/recipients/one", outdir);
	if (keyfile_create(sk, pk, FUZZ_PASS, strlen(FUZZ_PASS),
	    crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) != KF_OK) {
		fprintf(stderr, "mkseed: cannot create %s (exists?)\n", sk);
		exit(1);
	}
	keyfile_format_public(them, line, sizeof(line));
	snprintf(text, sizeof(text), "# two recipients\r\n%s\r\n\n  # "
	    "indented comment\n%s\n", line, line);
	put("recipients", "two-crlf", text, strlen(text));
}

/* The fuzzers' fixed identity: the envelope key pair and a signing
 * key pair from the same seed. Its secret parts are plain memory here;
 * keyfile_lock must not be called on it. */
static void
fuzz_identity(struct seckey *k, unsigned char xsk[SK_BYTES],
    unsigned char ssk[64])
{
	memset(k, 0, sizeof(*k));
	fuzz_env_keypair(k->pub.pk, xsk);
	key_id(k->pub.pk, k->pub.id);
	fuzz_sign_keypair(k->sign_pk, ssk);
	k->sk = xsk;
	k->sign_sk = ssk;
	snprintf(k->name, sizeof(k->name), "Fuzz");
}

/* A chain of three events by the fixed identity, sealed to it. */
static void
events(void)
{
	static const struct {
		int type, status;
		const char *ref, *plain;
	} c[3] = {
		{ EV_STATUS, 2, "TL-7KQ2-M9XD", NULL },
		{ EV_ROUTE, 3, "TL-7KQ2-M9XD", "{\"to\":\"Kapo ZH\",\"note\":\"n\"}" },
		{ EV_GRANT, 0, NULL, "{\"keys\":[]}" },
	};
	unsigned char xsk[SK_BYTES], ssk[64], id[EVENT_HASH], *e;
	struct recipients rc;
	struct seckey k;
	char name[32];
	size_t i, n;

	fuzz_identity(&k, xsk, ssk);
	memset(&rc, 0, sizeof(rc));
	rc.k[rc.n++] = k.pub;
	for (i = 0; i < 3; i++) {
		struct event_new in = { c[i].type, c[i].ref, "2026-01-01",
		    c[i].status, c[i].plain, &rc, i, i ? id : NULL };

		if (event_make(&in, &k, &e, &n) != EVENT_OK)
			abort();
		event_id(e, n, id);
		snprintf(name, sizeof(name), "chain-%zu", i + 1);
		put("event", name, e, n);
		free(e);
	}
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(ssk, sizeof(ssk));
}

static char *
slurp(const char *target, const char *name, size_t *n)
{
	char path[1024], *b = NULL;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if (keyfile_slurp(path, MAX_ENVELOPE, &b, n) != KF_OK) {
		fprintf(stderr, "mkseed: cannot read %s\n", path);
		exit(1);
	}
	return b;
}

static int
check_events(void)
{
	unsigned char spk[32], ssk[64];
	struct event ev;
	char name[32], *b;
	size_t n, i;
	int bad = 0;

	fuzz_sign_keypair(spk, ssk);
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "chain-%zu", i);
		b = slurp("event", name, &n);
		bad |= event_parse((unsigned char *)b, n, &ev) != EVENT_OK ||
		    event_verify(&ev, spk) != EVENT_OK;
		free(b);
	}
	sodium_memzero(ssk, sizeof(ssk));
	return bad;
}

/* 0 if every generated seed is still what its name says. */
static int
check(void)
{
	unsigned char nonce[TOKEN_NONCE], pk[PK_BYTES], sk[SK_BYTES], *pt;
	struct recipients rc;
	struct secfile sf;
	struct seckey k;
	struct record rec;
	char name[32], *b;
	size_t n, line, ptlen, i;
	int bad = 0;

	b = slurp("token", "valid", &n);
	bad |= token_check((const unsigned char *)FUZZ_TOKEN_KEY, b, n,
	    FUZZ_NOW, FUZZ_MIN_AGE, FUZZ_MAX_AGE, nonce) != TOKEN_OK;
	free(b);
	b = slurp("keyfile", "min-cost", &n);
	bad |= keyfile_parse_secret(b, n, &sf, &line) != KF_OK ||
	    keyfile_unlock(&sf, FUZZ_PASS, strlen(FUZZ_PASS), &k) != KF_OK;
	keyfile_lock(&k);
	free(b);
	b = slurp("recipients", "two-crlf", &n);
	bad |= keyfile_parse_public(b, n, &rc, &line) != KF_OK || rc.n != 2;
	free(b);
	fuzz_env_keypair(pk, sk);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), i < 3 ? "sealed-%zu" : "epoch-%zu",
		    i % 3);
		b = slurp("envelope", name, &n);
		if (envelope_open((unsigned char *)b, n, FUZZ_REF, pk, sk, &pt,
		    &ptlen) != ENV_OK)
			bad = 1;
		else {
			bad |= record_parse((char *)pt, ptlen, &rec) != REC_OK;
			record_free(&rec);
			sodium_free(pt);
		}
		free(b);
	}
	sodium_memzero(sk, sizeof(sk));
	return bad | check_events();
}

int
main(int argc, char **argv)
{
	struct pubkey us, them;
	unsigned char sk[SK_BYTES];
	char *recs[3];
	size_t i;

	fuzz_init_sodium();
	record_init();
	if (argc == 3 && strcmp(argv[1], "-c") == 0) {
		outdir = argv[2];
		return check();
	}
	if (argc != 2) {
		fprintf(stderr, "usage: mkseed DIR | mkseed -c CORPUS\n");
		return 2;
	}
	outdir = argv[1];
	fuzz_env_keypair(us.pk, sk);
	key_id(us.pk, us.id);
	crypto_box_keypair(them.pk, sk);
	key_id(them.pk, them.id);
	sodium_memzero(sk, sizeof(sk));
	tokens();
	records(recs);
	envelopes(recs, &us, &them);
	keys(&them);
	events();
	for (i = 0; i < 3; i++)
		record_free_string(recs[i]);
	return 0;
}
