/* Analyst identities (v2 key files) and the team file: write and read
 * back, the signing key matches the identity, the name is bound by the
 * passphrase, a v1 key upgrades with its X25519 key kept, and the team
 * file parser's every refusal (docs/FORMATS.md sections 2 and 8). */
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "t.h"

#include "keyfile.h"
#include "team.h"

#define OPS crypto_pwhash_OPSLIMIT_MIN
#define MEM crypto_pwhash_MEMLIMIT_MIN

static char dir[] = "/tmp/t_team.XXXXXX";
static char skp[256], pkp[256], v1sk[256], v1pk[256];

static char *
slurp(const char *path, size_t *n)
{
	char *b = NULL;

	CHECK(keyfile_slurp(path, MAX_KEYFILE, &b, n) == KF_OK);
	return b;
}

static enum kf_err
unlock_text(const char *t, size_t n, const char *pw, struct seckey *k)
{
	struct secfile sf;
	size_t line;
	enum kf_err e;

	if ((e = keyfile_parse_secret(t, n, &sf, &line)) != KF_OK)
		return e;
	return keyfile_unlock(&sf, pw, strlen(pw), k);
}

static enum kf_err
unlock_path(const char *path, const char *pw, struct seckey *k)
{
	size_t n;
	char *t = slurp(path, &n);
	enum kf_err e = unlock_text(t, n, pw, k);

	free(t);
	return e;
}

static enum kf_err
parse_team(const char *text, struct team *t, size_t *line)
{
	return team_parse(text, strlen(text), t, line);
}

/* The identity line of the key file at pkp. */
static void
identity_of(const char *path, char *out, size_t cap)
{
	size_t n;
	char *t = slurp(path, &n), *l;

	l = strstr(t, ID_TAG " ");
	CHECK(l != NULL);
	if (l != NULL) {
		snprintf(out, cap, "%s", l);
		out[strcspn(out, "\n")] = '\0';
	}
	free(t);
}

TEST(keygen_with_a_name_writes_an_identity)
{
	struct stat st;
	struct team t;
	char line[1100], text[1200];
	size_t ln;

	CHECK(keyfile_create_identity(skp, pkp, "A. Muster", "pw", 2, OPS,
	    MEM) == KF_OK);
	CHECK(stat(skp, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(keyfile_create_identity(skp, pkp, "A. Muster", "pw", 2, OPS,
	    MEM) == KF_E_EXISTS);
	identity_of(pkp, line, sizeof(line));
	snprintf(text, sizeof(text), "# team\n%s\n", line);
	CHECK(parse_team(text, &t, &ln) == KF_OK && t.n == 1);
	CHECK(strcmp(t.m[0].name, "A. Muster") == 0);
}

TEST(the_identity_unlocks_and_its_keys_match_the_line)
{
	struct identity id, back;
	struct seckey k;
	unsigned char sig[64];
	char line[1100], again[1100];

	identity_of(pkp, line, sizeof(line));
	CHECK(identity_parse(line, strlen(line), &id) == KF_OK);
	CHECK(unlock_path(skp, "pw", &k) == KF_OK);
	CHECK(k.sign_sk != NULL && strcmp(k.name, "A. Muster") == 0);
	CHECK(memcmp(k.pub.pk, id.box.pk, PK_BYTES) == 0);
	CHECK(memcmp(k.sign_pk, id.sign, SIGN_PK_BYTES) == 0);
	/* The signing key signs for the public key in the line. */
	crypto_sign_detached(sig, NULL, (const unsigned char *)"m", 1,
	    k.sign_sk);
	CHECK(crypto_sign_verify_detached(sig, (const unsigned char *)"m", 1,
	    id.sign) == 0);
	keyfile_identity(&k, &back);
	identity_format(&back, again, sizeof(again));
	CHECK(strcmp(line, again) == 0);
	keyfile_lock(&k);
	CHECK(k.sk == NULL && k.sign_sk == NULL);
	CHECK(unlock_path(skp, "pW", &k) == KF_E_PASSPHRASE);
}

/* The name is in the associated data: a file with another name in its
 * key line does not unlock. */
TEST(a_changed_name_in_the_secret_key_line_fails)
{
	struct seckey k;
	size_t n;
	char *t = slurp(skp, &n), *p;

	p = strstr(t, "A. Muster\n");
	p = p ? strstr(p + 1, "A. Muster\n") : NULL;	/* the key line */
	CHECK(p != NULL);
	if (p != NULL)
		p[0] = 'B';
	CHECK(unlock_text(t, n, "pw", &k) == KF_E_PASSPHRASE);
	free(t);
}

TEST(passwd_keeps_a_v2_key_v2)
{
	struct seckey k, k2;

	CHECK(unlock_path(skp, "pw", &k) == KF_OK);
	CHECK(keyfile_rewrite(skp, &k, "new", 3, OPS, MEM) == KF_OK);
	CHECK(unlock_path(skp, "new", &k2) == KF_OK);
	CHECK(k2.sign_sk != NULL && memcmp(k.sign_pk, k2.sign_pk, 32) == 0);
	CHECK(memcmp(k.pub.pk, k2.pub.pk, PK_BYTES) == 0);
	CHECK(strcmp(k2.name, "A. Muster") == 0);
	CHECK(keyfile_upgrade(&k2, "Other") == KF_E_EXISTS);
	keyfile_lock(&k);
	keyfile_lock(&k2);
}

TEST(a_v1_key_opens_and_upgrades_keeping_its_x25519_key)
{
	struct seckey k, k2;
	unsigned char before[PK_BYTES];

	CHECK(keyfile_create(v1sk, v1pk, "pw", 2, OPS, MEM) == KF_OK);
	CHECK(unlock_path(v1sk, "pw", &k) == KF_OK);
	CHECK(k.sign_sk == NULL && k.name[0] == '\0');
	memcpy(before, k.pub.pk, PK_BYTES);
	CHECK(keyfile_upgrade(&k, " bad") == KF_E_NAME);
	CHECK(keyfile_upgrade(&k, "B. Beispiel") == KF_OK);
	CHECK(keyfile_rewrite(v1sk, &k, "pw", 2, OPS, MEM) == KF_OK);
	CHECK(unlock_path(v1sk, "pw", &k2) == KF_OK);
	CHECK(memcmp(k2.pub.pk, before, PK_BYTES) == 0);
	CHECK(k2.sign_sk != NULL && strcmp(k2.name, "B. Beispiel") == 0);
	CHECK(memcmp(k2.sign_pk, k.sign_pk, 32) == 0);
	keyfile_lock(&k);
	keyfile_lock(&k2);
}

TEST(names_are_checked)
{
	char big[300];

	CHECK(identity_name_ok("A. Muster", 9));
	CHECK(identity_name_ok("Zoë Müller-Rüegg", strlen("Zoë Müller-Rüegg")));
	CHECK(!identity_name_ok("", 0));
	CHECK(!identity_name_ok(" A", 2));
	CHECK(!identity_name_ok("A ", 2));
	CHECK(!identity_name_ok("A\tB", 3));
	CHECK(!identity_name_ok("A\x1b[31mB", 8));
	CHECK(!identity_name_ok("A\xc2\x85", 3));		/* U+0085 */
	CHECK(!identity_name_ok("A\xe2\x80\xae", 4));		/* U+202E */
	CHECK(!identity_name_ok("A\xe2\x80\x8b", 4));		/* U+200B */
	CHECK(!identity_name_ok("A\xff", 2));
	memset(big, 'a', sizeof(big));
	CHECK(identity_name_ok(big, 64));
	CHECK(!identity_name_ok(big, 65));
	CHECK(!identity_name_ok(big, 0));
}

/* Two members' lines, from fresh identities. */
static void
two_lines(char *a, char *b, size_t cap)
{
	char s2[300], p2[300];

	identity_of(pkp, a, cap);
	snprintf(s2, sizeof(s2), "%s/b.key", dir);
	snprintf(p2, sizeof(p2), "%s/b.pub", dir);
	CHECK(keyfile_create_identity(s2, p2, "B", "pw", 2, OPS, MEM) ==
	    KF_OK || access(p2, F_OK) == 0);
	identity_of(p2, b, cap);
}

TEST(team_files_are_parsed_strictly)
{
	struct team t;
	char a[1100], b[1100], text[4000], v1[200];
	size_t ln, n;
	char *pub;

	two_lines(a, b, sizeof(a));
	snprintf(text, sizeof(text), "# the team\r\n%s\r\n\n  # x\n%s", a, b);
	CHECK(parse_team(text, &t, &ln) == KF_OK && t.n == 2);
	CHECK(strcmp(t.m[1].name, "B") == 0);
	CHECK(team_find(&t, t.m[1].box.id) == &t.m[1]);
	/* The same member twice. */
	snprintf(text, sizeof(text), "%s\n%s\n", a, a);
	CHECK(parse_team(text, &t, &ln) == KF_E_DUP && ln == 2);
	/* A v1 public key: no signing key. */
	pub = slurp(v1pk, &n);
	snprintf(v1, sizeof(v1), "%s", strstr(pub, PK_TAG));
	free(pub);
	snprintf(text, sizeof(text), "%s\n%s", a, v1);
	CHECK(parse_team(text, &t, &ln) == KF_E_V1 && ln == 2);
	snprintf(text, sizeof(text), "TLSK2 0011223344556677 x y\n");
	CHECK(parse_team(text, &t, &ln) == KF_E_SECRET && ln == 1);
	CHECK(parse_team("# nothing\n", &t, &ln) == KF_E_EMPTY);
	/* Trailing space, a space before the line, a changed key id. */
	snprintf(text, sizeof(text), "%s \n", a);
	CHECK(parse_team(text, &t, &ln) == KF_E_NAME);
	snprintf(text, sizeof(text), " %s\n", a);
	CHECK(parse_team(text, &t, &ln) == KF_E_FORMAT);
	snprintf(text, sizeof(text), "%s\n", a);
	text[6] = text[6] == '0' ? '1' : '0';
	CHECK(parse_team(text, &t, &ln) == KF_E_KEYID);
}

/* A fresh identity line with its own keys. */
static void
fresh_line(const char *name, struct identity *id, char *out, size_t cap)
{
	unsigned char sk[64];

	memset(id, 0, sizeof(*id));
	crypto_box_keypair(id->box.pk, sk);
	key_id(id->box.pk, id->box.id);
	crypto_sign_keypair(id->sign, sk);
	snprintf(id->name, sizeof(id->name), "%s", name);
	identity_format(id, out, cap);
}

TEST(too_many_members_are_refused)
{
	struct identity id;
	struct team t;
	char text[16 * 1024], line[1100], name[16];
	size_t i, ln, off = 0;

	for (i = 0; i < MAX_TEAM + 1; i++) {
		snprintf(name, sizeof(name), "M%zu", i);
		fresh_line(name, &id, line, sizeof(line));
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "%s\n", line);
		if (i == MAX_TEAM - 1) {
			CHECK(parse_team(text, &t, &ln) == KF_OK &&
			    t.n == MAX_TEAM);
		}
	}
	CHECK(parse_team(text, &t, &ln) == KF_E_TOO_MANY &&
	    ln == MAX_TEAM + 1);
}

/* Two lines that share only one thing are still refused. */
TEST(a_shared_signing_key_or_name_is_refused)
{
	struct identity a, b;
	struct team t;
	char la[1100], lb[1100], text[2400];
	size_t ln;

	fresh_line("Same", &a, la, sizeof(la));
	fresh_line("Other", &b, lb, sizeof(lb));
	memcpy(b.sign, a.sign, SIGN_PK_BYTES);
	identity_format(&b, lb, sizeof(lb));
	snprintf(text, sizeof(text), "%s\n%s\n", la, lb);
	CHECK(parse_team(text, &t, &ln) == KF_E_DUP && ln == 2);
	fresh_line("Same", &b, lb, sizeof(lb));
	snprintf(text, sizeof(text), "%s\n%s\n", la, lb);
	CHECK(parse_team(text, &t, &ln) == KF_E_DUP && ln == 2);
}

TEST(a_team_file_is_a_recipients_file)
{
	struct recipients rc;
	struct team t;
	char a[1100], b[1100], text[4000];
	size_t ln;

	two_lines(a, b, sizeof(a));
	snprintf(text, sizeof(text), "%s\n%s\n", a, b);
	CHECK(keyfile_parse_public(text, strlen(text), &rc, &ln) == KF_OK);
	CHECK(parse_team(text, &t, &ln) == KF_OK);
	CHECK(rc.n == 2 && memcmp(rc.k[1].pk, t.m[1].box.pk, PK_BYTES) == 0);
	team_recipients(&t, &rc);
	CHECK(rc.n == 2 && memcmp(rc.k[0].id, t.m[0].box.id, 8) == 0);
	/* An identity line with a bad name is refused there too. */
	snprintf(text, sizeof(text), "%s \n", a);
	CHECK(keyfile_parse_public(text, strlen(text), &rc, &ln) ==
	    KF_E_NAME);
}

int
main(void)
{
	char p[300];
	int rv;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(skp, sizeof(skp), "%s/a.key", dir);
	snprintf(pkp, sizeof(pkp), "%s/a.pub", dir);
	snprintf(v1sk, sizeof(v1sk), "%s/v1.key", dir);
	snprintf(v1pk, sizeof(v1pk), "%s/v1.pub", dir);
	RUN(keygen_with_a_name_writes_an_identity);
	RUN(the_identity_unlocks_and_its_keys_match_the_line);
	RUN(a_changed_name_in_the_secret_key_line_fails);
	RUN(passwd_keeps_a_v2_key_v2);
	RUN(a_v1_key_opens_and_upgrades_keeping_its_x25519_key);
	RUN(names_are_checked);
	RUN(team_files_are_parsed_strictly);
	RUN(too_many_members_are_refused);
	RUN(a_shared_signing_key_or_name_is_refused);
	RUN(a_team_file_is_a_recipients_file);
	rv = T_DONE();
	unlink(skp);
	unlink(pkp);
	unlink(v1sk);
	unlink(v1pk);
	snprintf(p, sizeof(p), "%s/b.key", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/b.pub", dir);
	unlink(p);
	rmdir(dir);
	return rv;
}
