/* The SQLite store: schema and pragmas, insert, a reused token makes no
 * second report, reference collisions, a locked database, a database
 * from the future, and references. */
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "t.h"

#include "store.h"

static char dir[] = "/tmp/t_store.XXXXXX";
static char path[256];

static long long
query_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static struct store *
open_store(int busy_ms)
{
	char err[256];
	struct store *st = store_open(path, busy_ms, 1, err, sizeof(err));

	if (st == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	return st;
}

static const unsigned char env[] = "not really an envelope";

TEST(open_creates_the_schema_with_safe_pragmas)
{
	struct store *st = open_store(100);
	sqlite3 *db;
	sqlite3_stmt *s;

	CHECK(st != NULL);
	CHECK(query_int("PRAGMA user_version") == 1);
	CHECK(query_int("SELECT count(*) FROM reports") == 0);
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
	CHECK(sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(st);
	st = open_store(100);		/* reopening migrates nothing */
	CHECK(st != NULL && query_int("PRAGMA user_version") == 1);
	store_close(st);
}

TEST(insert_stores_one_row_with_status_new)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0001", "2026-11-29", env,
	    sizeof(env), dup) == STORE_OK);
	CHECK(query_int("SELECT count(*) FROM reports WHERE ref = "
	    "'TL-AAAA-0001' AND status = 'new' AND day = '2026-11-29'") == 1);
	CHECK(query_int("SELECT count(*) FROM used_tokens") == 1);
	store_close(st);
}

TEST(a_reused_token_returns_the_first_reference_and_adds_nothing)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];
	long long before;

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0002", "2026-11-29", env,
	    sizeof(env), dup) == STORE_OK);
	before = query_int("SELECT count(*) FROM reports");
	CHECK(store_insert(st, nonce, "TL-AAAA-0003", "2026-11-29", env,
	    sizeof(env), dup) == STORE_DUP);
	CHECK(strcmp(dup, "TL-AAAA-0002") == 0);
	CHECK(query_int("SELECT count(*) FROM reports") == before);
	store_close(st);
}

TEST(a_taken_reference_is_reported_and_rolled_back)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];
	long long before = query_int("SELECT count(*) FROM used_tokens");

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0001", "2026-11-29", env,
	    sizeof(env), dup) == STORE_REF_TAKEN);
	CHECK(query_int("SELECT count(*) FROM used_tokens") == before);
	store_close(st);
}

TEST(a_locked_database_answers_busy_within_the_timeout)
{
	struct store *st = open_store(200);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];
	long long before = query_int("SELECT count(*) FROM reports");
	sqlite3 *db;

	sqlite3_open(path, &db);
	CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK);
	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0004", "2026-11-29", env,
	    sizeof(env), dup) == STORE_BUSY);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(query_int("SELECT count(*) FROM reports") == before);
	CHECK(store_insert(st, nonce, "TL-AAAA-0004", "2026-11-29", env,
	    sizeof(env), dup) == STORE_OK);	/* and then it works */
	store_close(st);
}

TEST(a_database_from_a_newer_version_is_refused)
{
	char err[256];
	sqlite3 *db;

	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(store_open(path, 100, 1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "newer") != NULL);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL);
	sqlite3_close(db);
}

TEST(a_missing_database_is_not_created_without_create)
{
	char err[256], p[300];

	snprintf(p, sizeof(p), "%s/none.db", dir);
	CHECK(store_open(p, 100, 0, err, sizeof(err)) == NULL);
	CHECK(access(p, F_OK) != 0);
}

static int
count_row(void *ctx, const struct store_row *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

TEST(each_and_get_read_rows)
{
	struct store *st = open_store(100);
	int n = 0;

	CHECK(store_each(st, count_row, &n) == 0);
	CHECK(n == (int)query_int("SELECT count(*) FROM reports"));
	n = 0;
	CHECK(store_get(st, "TL-AAAA-0001", count_row, &n) == 1 && n == 1);
	CHECK(store_get(st, "TL-ZZZZ-ZZZZ", count_row, &n) == 0);
	store_close(st);
}

TEST(references_are_well_formed_and_differ)
{
	char a[REF_LEN + 1], b[REF_LEN + 1];
	int i, bad = 0, same = 0;

	for (i = 0; i < 1000; i++) {
		ref_make(a);
		ref_make(b);
		bad += !ref_valid(a, strlen(a));
		same += strcmp(a, b) == 0;
	}
	CHECK(bad == 0 && same == 0);
	CHECK(ref_valid("TL-7KQ2-M9XD", 12));
	CHECK(!ref_valid("TL-7KQ2-M9XI", 12));	/* no I, L, O, U */
	CHECK(!ref_valid("TL-7KQ2M9XD0", 12));
	CHECK(!ref_valid("tl-7kq2-m9xd", 12));
	CHECK(!ref_valid("TL-7KQ2-M9X", 11));
	CHECK(!ref_valid("TL-7KQ2-M9X\0", 12));
}

int
main(void)
{
	int rv;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/tips.db", dir);
	RUN(open_creates_the_schema_with_safe_pragmas);
	RUN(insert_stores_one_row_with_status_new);
	RUN(a_reused_token_returns_the_first_reference_and_adds_nothing);
	RUN(a_taken_reference_is_reported_and_rolled_back);
	RUN(a_locked_database_answers_busy_within_the_timeout);
	RUN(a_database_from_a_newer_version_is_refused);
	RUN(a_missing_database_is_not_created_without_create);
	RUN(each_and_get_read_rows);
	RUN(references_are_well_formed_and_differ);
	rv = T_DONE();
	unlink(path);
	snprintf(path, sizeof(path), "%s/tips.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tips.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return rv;
}
