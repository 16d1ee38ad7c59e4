/*
 * Fuzzes team_parse, which reads the team file: on the server whom
 * intake seals to and whose events the relay accepts, on a workstation
 * whom the CLI trusts. Every member it accepts must have a key id that
 * matches its X25519 key and a valid name, no two members may share a
 * key or a name, and each member written out again must parse back to
 * the same member.
 */
#include <string.h>

#include "fuzz.h"

#include "team.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	return 0;
}

static void
check_member(const struct team *t, size_t i)
{
	const struct identity *m = &t->m[i];
	struct identity back;
	unsigned char id[KEY_ID_BYTES];
	char line[MAX_LINE + 1];
	size_t j;

	key_id(m->box.pk, id);
	FUZZ_CHECK(memcmp(id, m->box.id, KEY_ID_BYTES) == 0);
	FUZZ_CHECK(identity_name_ok(m->name, strlen(m->name)));
	for (j = 0; j < i; j++) {
		FUZZ_CHECK(memcmp(t->m[j].box.id, m->box.id, 8) != 0);
		FUZZ_CHECK(memcmp(t->m[j].sign, m->sign, 32) != 0);
		FUZZ_CHECK(strcmp(t->m[j].name, m->name) != 0);
	}
	identity_format(m, line, sizeof(line));
	FUZZ_CHECK(identity_parse(line, strlen(line), &back) == KF_OK);
	FUZZ_CHECK(memcmp(&back, m, sizeof(back)) == 0);
	FUZZ_CHECK(team_find(t, m->box.id) == m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct team t;
	size_t i, line = 12345;
	enum kf_err e;

	e = team_parse((const char *)data, size, &t, &line);
	FUZZ_CHECK(keyfile_strerror(e) != NULL);
	FUZZ_CHECK(line <= size + 1);
	if (e != KF_OK)
		return 0;
	FUZZ_CHECK(t.n >= 1 && t.n <= MAX_TEAM);
	for (i = 0; i < t.n; i++)
		check_member(&t, i);
	return 0;
}
