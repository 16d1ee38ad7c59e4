/* The follow-up (lib/followup.c): the capability appends to one report
 * until it expires, and nothing else passes; the coarse status table;
 * finding a report by its lookup id, and the days (never the words) of
 * its messages. */
#include <unistd.h>

#include <sodium.h>

#include "t.h"

#include "followup.h"

static unsigned char secret[RECEIPT_SECRET];

TEST(a_capability_appends_to_its_report_until_it_expires)
{
	char cap[FOLLOWUP_CAP_CHARS + 1];

	followup_cap_make(secret, 42, 1000, cap);
	CHECK(strlen(cap) == FOLLOWUP_CAP_CHARS);
	CHECK(followup_cap_check(secret, cap, strlen(cap), 999) == 42);
	CHECK(followup_cap_check(secret, cap, strlen(cap), 1000) == 42);
	CHECK(followup_cap_check(secret, cap, strlen(cap), 1001) == 0);
}

TEST(an_altered_or_foreign_capability_is_refused)
{
	unsigned char other[RECEIPT_SECRET];
	char cap[FOLLOWUP_CAP_CHARS + 1], bad[FOLLOWUP_CAP_CHARS + 1];
	size_t i;
	int passed = 0;

	followup_cap_make(secret, 7, 5000, cap);
	for (i = 0; i < FOLLOWUP_CAP_CHARS; i++) {
		memcpy(bad, cap, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		passed += followup_cap_check(secret, bad, strlen(bad), 10) != 0;
	}
	CHECK(passed == 0);
	memcpy(other, secret, sizeof(other));
	other[3] ^= 1;
	CHECK(followup_cap_check(other, cap, strlen(cap), 10) == 0);
	CHECK(followup_cap_check(secret, cap, strlen(cap) - 1, 10) == 0);
	CHECK(followup_cap_check(secret, "", 0, 10) == 0);
}

TEST(the_coarse_status_follows_the_analysts_status)
{
	CHECK(followup_coarse("new") == COARSE_RECEIVED);
	CHECK(followup_coarse("in-review") == COARSE_LOOKED_AT);
	CHECK(followup_coarse("forwarded") == COARSE_PASSED_ON);
	CHECK(followup_coarse("closed") == COARSE_CLOSED);
	CHECK(followup_coarse("spam") == COARSE_CLOSED);
}

TEST(a_report_is_found_by_its_lookup_id_with_its_message_days)
{
	char path[] = "/tmp/t_followup_XXXXXX", db[64], err[256], dup[16];
	unsigned char nonce[16], env[64], other[RECEIPT_LOOKUP];
	struct store_receipt rc;
	struct followup f;
	struct store *st;
	long long id, mid1, mid2;
	int fd;

	CHECK((fd = mkstemp(path)) >= 0);
	close(fd);
	unlink(path);
	snprintf(db, sizeof(db), "%s.db", path);
	CHECK((st = store_open(db, 100, 1, err, sizeof(err))) != NULL);
	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(&rc, sizeof(rc));
	memset(env, 1, sizeof(env));
	CHECK(store_insert_with(st, nonce, "TL-FLUP-0001", "2026-12-01",
	    "2099-01-01", env, sizeof(env), &rc, dup) == STORE_OK);
	CHECK(followup_find(st, rc.lookup, &f) == 0);
	CHECK(f.report_id > 0 && strcmp(f.ref, "TL-FLUP-0001") == 0);
	CHECK(f.coarse == COARSE_RECEIVED && f.ndays == 0);
	id = f.report_id;
	CHECK(followup_add(st, id, "2026-12-01", env, sizeof(env), &mid1) == 0);
	CHECK(followup_add(st, id, "2026-12-03", env, sizeof(env), &mid2) == 0);
	CHECK(followup_add(st, id, "2026-12-03", env, sizeof(env), &mid2) == 0);
	CHECK(mid2 > mid1);
	CHECK(followup_add(st, id + 100, "2026-12-03", env, sizeof(env),
	    &mid2) == 1);
	CHECK(followup_find(st, rc.lookup, &f) == 0 && f.ndays == 2);
	CHECK(strcmp(f.days[0], "2026-12-01") == 0 &&
	    strcmp(f.days[1], "2026-12-03") == 0);
	memcpy(other, rc.lookup, sizeof(other));
	other[0] ^= 1;
	CHECK(followup_find(st, other, &f) == 0 && f.report_id == 0 &&
	    f.ndays == 0);
	/* a message id is never given again, not after the newest went */
	CHECK(store_delete(st, &id, 1) >= 0);
	store_close(st);
	unlink(db);
	snprintf(err, sizeof(err), "%s-wal", db);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", db);
	unlink(err);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(secret, sizeof(secret));
	RUN(a_capability_appends_to_its_report_until_it_expires);
	RUN(an_altered_or_foreign_capability_is_refused);
	RUN(the_coarse_status_follows_the_analysts_status);
	RUN(a_report_is_found_by_its_lookup_id_with_its_message_days);
	return T_DONE();
}
