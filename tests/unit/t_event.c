/* Events v1 (docs/FORMATS.md section 9): written and read back for
 * every type, the signature covers every byte, the chain detects a
 * replayed, dropped or reordered event, the parser refuses each broken
 * field. With T_EVENT_OUT=DIR it also writes a v2 key file (passphrase
 * "pw", minimum cost), its team file and a chain of events there, for
 * the independent PyNaCl reader (tests/integration/test_events.py). */
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "t.h"

#include "event.h"
#include "team.h"

#define OPS crypto_pwhash_OPSLIMIT_MIN
#define MEM crypto_pwhash_MEMLIMIT_MIN
#define REF "TL-7KQ2-M9XD"
#define DAY "2026-12-01"

static char dir[] = "/tmp/t_event.XXXXXX";
static struct seckey alice, mallory;
static struct team team;
static struct recipients rc;

/* An unlocked v2 key made and read back through its files. */
static void
make_key(const char *base, const char *name, struct seckey *k)
{
	char sk[512], pk[512], *t;
	struct secfile sf;
	size_t n, line;

	snprintf(sk, sizeof(sk), "%s/%s.key", base, name);
	snprintf(pk, sizeof(pk), "%s/%s.pub", base, name);
	CHECK(keyfile_create_identity(sk, pk, name, "pw", 2, OPS, MEM) ==
	    KF_OK);
	CHECK(keyfile_slurp(sk, MAX_KEYFILE, &t, &n) == KF_OK);
	CHECK(keyfile_parse_secret(t, n, &sf, &line) == KF_OK);
	free(t);
	CHECK(keyfile_unlock(&sf, "pw", 2, k) == KF_OK);
}

static unsigned char *
make(int type, const char *ref, int status, const char *plain,
    const struct seckey *k, uint64_t last_seq, const unsigned char *last,
    size_t *len)
{
	struct event_new in = { type, ref, DAY, status, plain, &rc,
	    last_seq, last };
	unsigned char *p = NULL;

	CHECK(event_make(&in, k, &p, len) == EVENT_OK);
	return p;
}

TEST(every_type_round_trips_and_verifies)
{
	static const struct {
		int type, status;
		const char *ref, *plain;
	} c[] = {
		{ EV_STATUS, 2, REF, NULL },
		{ EV_STATUS, 4, REF, "{\"note\":\"done\"}" },
		{ EV_NOTE, 0, REF, "{\"note\":\"Called the police\"}" },
		{ EV_ROUTE, 3, REF, "{\"to\":\"Kapo ZH\"}" },
		{ EV_ASSIGN, 0, REF, "{\"assignee\":\"0011223344556677\"}" },
		{ EV_GRANT, 0, NULL, "{\"keys\":[]}" },
		{ EV_PURGE, 0, REF, NULL },
	};
	struct env_buf b = { NULL, 0 };
	struct event ev;
	unsigned char *p;
	size_t i, n, pt;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		p = make(c[i].type, c[i].ref, c[i].status, c[i].plain, &alice,
		    0, NULL, &n);
		CHECK(p != NULL && event_parse(p, n, &ev) == EVENT_OK);
		CHECK(ev.type == c[i].type && ev.status == c[i].status);
		CHECK(ev.seq == 1 && strcmp(ev.day, DAY) == 0);
		CHECK(strcmp(ev.ref, c[i].ref ? c[i].ref : "") == 0);
		CHECK(memcmp(ev.author, alice.pub.id, 8) == 0);
		CHECK(event_verify(&ev, alice.sign_pk) == EVENT_OK);
		CHECK(event_verify(&ev, mallory.sign_pk) == EVENT_E_SIG);
		if (c[i].plain != NULL) {
			CHECK(event_open(&ev, &alice, &b, &pt) == ENV_OK);
			CHECK(pt == strlen(c[i].plain) &&
			    memcmp(b.p, c[i].plain, pt) == 0);
		} else
			CHECK(ev.sealedlen == 0 && ev.sealed == NULL);
		free(p);
	}
	env_buf_free(&b);
}

TEST(the_signature_covers_every_byte)
{
	struct event ev;
	unsigned char *p;
	size_t n, i, ok = 0;

	p = make(EV_STATUS, REF, 4, "{\"note\":\"x\"}", &alice, 0, NULL, &n);
	for (i = 0; p != NULL && i < n; i++) {
		p[i] ^= 0x01;
		/* Either the parser refuses the byte or the signature does. */
		if (event_parse(p, n, &ev) != EVENT_OK ||
		    event_verify(&ev, alice.sign_pk) != EVENT_OK)
			ok++;
		p[i] ^= 0x01;
	}
	CHECK(ok == n);
	free(p);
}

TEST(a_key_outside_the_team_signs_nothing_it_accepts)
{
	const struct identity *m;
	struct event ev;
	unsigned char *p;
	size_t n;

	/* Mallory's event names Mallory; the team has no such member. */
	p = make(EV_NOTE, REF, 0, "{\"note\":\"x\"}", &mallory, 0, NULL, &n);
	CHECK(event_parse(p, n, &ev) == EVENT_OK);
	CHECK(team_find(&team, ev.author) == NULL);
	/* Claiming Alice's key id: Alice's key does not verify it. */
	memcpy(p + 6, alice.pub.id, 8);
	CHECK(event_parse(p, n, &ev) == EVENT_OK);
	m = team_find(&team, ev.author);
	CHECK(m != NULL && event_verify(&ev, m->sign) == EVENT_E_SIG);
	free(p);
}

TEST(the_chain_detects_replay_drop_and_reorder)
{
	unsigned char *e[3], id[3][EVENT_HASH];
	struct event ev[3];
	size_t n[3];
	int i;

	for (i = 0; i < 3; i++) {
		e[i] = make(EV_NOTE, REF, 0, "{\"note\":\"n\"}", &alice,
		    (uint64_t)i, i ? id[i - 1] : NULL, &n[i]);
		event_id(e[i], n[i], id[i]);
		CHECK(event_parse(e[i], n[i], &ev[i]) == EVENT_OK);
	}
	CHECK(event_follows(&ev[0], 0, NULL));
	CHECK(event_follows(&ev[1], 1, id[0]));
	CHECK(event_follows(&ev[2], 2, id[1]));
	CHECK(!event_follows(&ev[1], 2, id[1]));	/* replayed */
	CHECK(!event_follows(&ev[2], 1, id[0]));	/* one dropped */
	CHECK(!event_follows(&ev[0], 1, id[0]));	/* reordered */
	CHECK(!event_follows(&ev[1], 1, id[1]));	/* wrong link */
	CHECK(ev[1].seq == 2 && memcmp(ev[1].prev, id[0], EVENT_HASH) == 0);
	for (i = 0; i < 3; i++)
		free(e[i]);
}

/* The sealed part is bound to its event: moved to another one (other
 * report, other seq) it does not open. */
TEST(a_sealed_part_moved_to_another_event_does_not_open)
{
	struct env_buf b = { NULL, 0 };
	struct event ev;
	unsigned char *p, *q;
	size_t n, m, pt;

	p = make(EV_NOTE, REF, 0, "{\"note\":\"secret\"}", &alice, 0, NULL,
	    &n);
	q = make(EV_NOTE, "TL-AAAA-BBBB", 0, "{\"note\":\"other\"}", &alice,
	    0, NULL, &m);
	CHECK(n == m);
	memcpy(q + EVENT_HEAD, p + EVENT_HEAD, n - EVENT_MIN);
	CHECK(event_parse(q, m, &ev) == EVENT_OK);
	CHECK(event_open(&ev, &alice, &b, &pt) == ENV_E_AUTH);
	env_buf_free(&b);
	free(p);
	free(q);
}

TEST(the_parser_refuses_each_broken_field)
{
	struct event ev;
	unsigned char *p, *big;
	size_t n;

	p = make(EV_STATUS, REF, 2, NULL, &alice, 0, NULL, &n);
	CHECK(n == EVENT_MIN);
	CHECK(event_parse(p, n - 1, &ev) == EVENT_E_FORMAT);
	CHECK(event_parse(p, 10, &ev) == EVENT_E_FORMAT);
	big = calloc(1, n + 1);
	memcpy(big, p, n);
	CHECK(event_parse(big, n + 1, &ev) == EVENT_E_FORMAT);
	free(big);
#define BROKEN(off, val, want) do { \
	unsigned char old = p[off]; \
	p[off] = (val); \
	CHECK(event_parse(p, n, &ev) == (want)); \
	p[off] = old; \
} while (0)
	BROKEN(0, 'X', EVENT_E_FORMAT);		/* magic */
	BROKEN(4, 2, EVENT_E_FORMAT);		/* version */
	BROKEN(5, 0, EVENT_E_TYPE);		/* type */
	BROKEN(5, 8, EVENT_E_TYPE);
	BROKEN(5, EV_NOTE, EVENT_E_TYPE);	/* a note needs a sealed part */
	BROKEN(5, EV_PURGE, EVENT_E_TYPE);	/* a purge has no status */
	BROKEN(76, 0, EVENT_E_TYPE);		/* a status needs one */
	BROKEN(76, 6, EVENT_E_TYPE);
	BROKEN(21, 0, EVENT_E_CHAIN);		/* seq 0 */
	BROKEN(22, 1, EVENT_E_CHAIN);		/* seq 1 with a link */
	BROKEN(54, 'X', EVENT_E_FORMAT);	/* reference */
	BROKEN(58, 'U', EVENT_E_FORMAT);	/* not Crockford's alphabet */
	BROKEN(70, '/', EVENT_E_FORMAT);	/* day */
	BROKEN(80, 1, EVENT_E_FORMAT);		/* sealed length */
	BROKEN(77, 0x80, EVENT_E_FORMAT);
#undef BROKEN
	free(p);
}

TEST(a_second_event_without_a_link_is_not_written)
{
	struct event_new in = { EV_STATUS, REF, DAY, 2, NULL, &rc, 1, NULL };
	unsigned char *p = NULL;
	size_t n;

	CHECK(event_make(&in, &alice, &p, &n) == EVENT_E_CHAIN && p == NULL);
}

TEST(a_v1_key_cannot_sign)
{
	struct event_new in = { EV_PURGE, REF, DAY, 0, NULL, &rc, 0, NULL };
	struct seckey v1 = alice;
	unsigned char *p = NULL;
	size_t n;

	v1.sign_sk = NULL;
	CHECK(event_make(&in, &v1, &p, &n) == EVENT_E_FORMAT && p == NULL);
}

static void
put(const char *name, const unsigned char *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", getenv("T_EVENT_OUT"), name);
	CHECK((f = fopen(path, "wb")) != NULL);
	if (f != NULL) {
		CHECK(fwrite(p, 1, n, f) == n);
		fclose(f);
	}
}

/* For the independent reader: a key, the team file and a chain of
 * three events (one of each kind of sealed part), plus Mallory's. */
static void
write_samples(const char *out)
{
	unsigned char *e, id[EVENT_HASH];
	struct seckey k;
	struct identity me;
	struct recipients one;
	char line[MAX_LINE + 2];
	size_t n;

	make_key(out, "sample", &k);
	keyfile_identity(&k, &me);
	identity_format(&me, line, sizeof(line) - 1);
	strcat(line, "\n");
	put("team", (const unsigned char *)line, strlen(line));
	memset(&one, 0, sizeof(one));
	one.n = 1;
	one.k[0] = k.pub;
	rc = one;
	e = make(EV_STATUS, REF, 3, "{\"note\":\"n1\",\"to\":\"Kapo\"}", &k,
	    0, NULL, &n);
	put("event-1", e, n);
	event_id(e, n, id);
	free(e);
	e = make(EV_NOTE, REF, 0, "{\"note\":\"n2\"}", &k, 1, id, &n);
	put("event-2", e, n);
	event_id(e, n, id);
	free(e);
	e = make(EV_PURGE, REF, 0, NULL, &k, 2, id, &n);
	put("event-3", e, n);
	free(e);
	e = make(EV_NOTE, REF, 0, "{\"note\":\"forged\"}", &mallory, 0,
	    NULL, &n);
	put("event-mallory", e, n);
	free(e);
	keyfile_lock(&k);
}

int
main(void)
{
	struct identity a;
	char rm[64];
	int rv;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	make_key(dir, "alice", &alice);
	make_key(dir, "mallory", &mallory);
	keyfile_identity(&alice, &a);
	team.n = 1;
	team.m[0] = a;
	team_recipients(&team, &rc);
	RUN(every_type_round_trips_and_verifies);
	RUN(the_signature_covers_every_byte);
	RUN(a_key_outside_the_team_signs_nothing_it_accepts);
	RUN(the_chain_detects_replay_drop_and_reorder);
	RUN(a_sealed_part_moved_to_another_event_does_not_open);
	RUN(the_parser_refuses_each_broken_field);
	RUN(a_second_event_without_a_link_is_not_written);
	RUN(a_v1_key_cannot_sign);
	if (getenv("T_EVENT_OUT") != NULL)
		write_samples(getenv("T_EVENT_OUT"));
	rv = T_DONE();
	keyfile_lock(&alice);
	keyfile_lock(&mallory);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		rv = 1;
	return rv;
}
