/* The SQLite store: schema and pragmas, insert, a reused token makes no
 * second report, reference collisions, a locked database, a database
 * from the future, and references. */
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "t.h"

#include "store.h"

extern const size_t nmigrations;

static char dir[] = "/tmp/t_store.XXXXXX";
static char path[256];

static long long
query_int_at(const char *p, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	sqlite3_open(p, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static long long
query_int(const char *sql)
{
	return query_int_at(path, sql);
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
	CHECK(query_int("PRAGMA user_version") == (int)nmigrations);
	CHECK(query_int("SELECT count(*) FROM reports") == 0);
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
	CHECK(sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(st);
	st = open_store(100);		/* reopening migrates nothing */
	CHECK(st != NULL && query_int("PRAGMA user_version") == (int)nmigrations);
	store_close(st);
}

TEST(insert_stores_one_row_with_status_new)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0001", "2026-11-29",
	    "2099-12-31", env, sizeof(env), dup) == STORE_OK);
	CHECK(query_int("SELECT count(*) FROM reports WHERE ref = "
	    "'TL-AAAA-0001' AND status = 'new' AND day = '2026-11-29'") == 1);
	CHECK(query_int("SELECT count(*) FROM used_tokens") == 1);
	store_close(st);
}

/* Issue 13: the receipt's lookup id and public key go in with the
 * report, in its transaction; a re-sent POST adds no second row; the
 * row goes when the report is deleted. */
TEST(a_receipt_row_is_stored_with_its_report_and_deleted_with_it)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	struct store_receipt rc;
	char dup[REF_LEN + 1];
	long long id;

	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(&rc, sizeof(rc));
	CHECK(store_insert_with(st, nonce, "TL-RCPT-0001", "2026-11-29",
	    "2099-12-31", env, sizeof(env), &rc, dup) == STORE_OK);
	CHECK(store_insert_with(st, nonce, "TL-RCPT-0002", "2026-11-29",
	    "2099-12-31", env, sizeof(env), &rc, dup) == STORE_DUP);
	CHECK(strcmp(dup, "TL-RCPT-0001") == 0);
	CHECK(query_int("SELECT count(*) FROM receipts r JOIN reports p ON "
	    "p.id = r.report_id WHERE p.ref = 'TL-RCPT-0001' AND "
	    "length(r.lookup) = 32 AND length(r.public_key) = 32") == 1);
	CHECK(query_int("SELECT count(*) FROM receipts") == 1);
	id = query_int("SELECT id FROM reports WHERE ref = 'TL-RCPT-0001'");
	CHECK(store_delete(st, &id, 1) >= 0);
	CHECK(query_int("SELECT count(*) FROM receipts") == 0);
	store_close(st);
}

TEST(a_reused_token_returns_the_first_reference_and_adds_nothing)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];
	long long before;

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0002", "2026-11-29",
	    "2099-12-31", env, sizeof(env), dup) == STORE_OK);
	before = query_int("SELECT count(*) FROM reports");
	CHECK(store_insert(st, nonce, "TL-AAAA-0003", "2026-11-29",
	    "2099-12-31", env, sizeof(env), dup) == STORE_DUP);
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
	CHECK(store_insert(st, nonce, "TL-AAAA-0001", "2026-11-29",
	    "2099-12-31", env, sizeof(env), dup) == STORE_REF_TAKEN);
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
	CHECK(store_insert(st, nonce, "TL-AAAA-0004", "2026-11-29",
	    "2099-12-31", env, sizeof(env), dup) == STORE_BUSY);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(query_int("SELECT count(*) FROM reports") == before);
	CHECK(store_insert(st, nonce, "TL-AAAA-0004", "2026-11-29",
	    "2099-12-31", env, sizeof(env), dup) == STORE_OK);	/* then works */
	store_close(st);
}


TEST(a_database_from_a_newer_version_is_refused)
{
	char err[256], sql[64];
	sqlite3 *db;

	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(store_open(path, 100, 1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "newer") != NULL);
	/* Back to the current version (one per migration). */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", nmigrations);
	sqlite3_open(path, &db);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

TEST(a_missing_database_is_not_created_without_create)
{
	char err[256], p[300];

	snprintf(p, sizeof(p), "%s/none.db", dir);
	CHECK(store_open(p, 100, 0, err, sizeof(err)) == NULL);
	CHECK(access(p, F_OK) != 0);
}

/* The schema as sqlite_master holds it, one string, for comparing. */
static char *
schema_of(sqlite3 *db)
{
	sqlite3_stmt *s;
	size_t len = 0;
	char *out = calloc(1, 65536);

	sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_master "
	    "ORDER BY type, name", -1, &s, NULL);
	while (sqlite3_step(s) == SQLITE_ROW && len < 60000)
		len += (size_t)snprintf(out + len, 65536 - len, "%s %s %s\n",
		    sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
		    sqlite3_column_text(s, 2) ? (const char *)
		    sqlite3_column_text(s, 2) : "");
	sqlite3_finalize(s);
	return out;
}

static int
same_schema_words(const char *a, const char *b)
{
	/* Compare ignoring white space: migrations and schema.sql may
	 * indent differently. */
	for (;;) {
		while (*a == ' ' || *a == '\t' || *a == '\n')
			a++;
		while (*b == ' ' || *b == '\t' || *b == '\n')
			b++;
		if (*a != *b)
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

TEST(migrations_build_exactly_db_schema_sql)
{
	sqlite3 *fresh, *db;
	char *want, *got, *sql = NULL;
	FILE *f = fopen("db/schema.sql", "r");
	size_t n;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	sql = calloc(1, 65536);
	n = fread(sql, 1, 65535, f);
	fclose(f);
	sql[n] = '\0';
	sqlite3_open(":memory:", &fresh);
	CHECK(sqlite3_exec(fresh, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_open(path, &db);
	want = schema_of(fresh);
	got = schema_of(db);
	CHECK(same_schema_words(want, got));
	if (!same_schema_words(want, got))
		fprintf(stderr, "schema.sql:\n%s\nmigrations:\n%s\n", want,
		    got);
	free(want);
	free(got);
	free(sql);
	sqlite3_close(fresh);
	sqlite3_close(db);
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

	CHECK(store_each(st, NULL, count_row, &n) == 0);
	CHECK(n == (int)query_int("SELECT count(*) FROM reports"));
	n = 0;
	CHECK(store_get(st, "TL-AAAA-0001", count_row, &n) == 1 && n == 1);
	CHECK(store_get(st, "TL-ZZZZ-ZZZZ", count_row, &n) == 0);
	store_close(st);
}

static int
collect_hist(void *ctx, const struct store_hist *h)
{
	char *out = ctx;

	strcat(out, h->status);
	strcat(out, h->note ? "+note;" : ";");
	return 0;
}

static int
seal_note(void *ctx, long long hid, unsigned char **out, size_t *len)
{
	*(long long *)ctx = hid;
	*out = (unsigned char *)strdup("sealed");
	*len = 6;
	return 0;
}

static int
fail_seal(void *ctx, long long hid, unsigned char **out, size_t *len)
{
	(void)ctx;
	(void)hid;
	(void)out;
	(void)len;
	return -1;
}

TEST(status_changes_are_kept_in_history)
{
	struct store *st = open_store(100);
	char hist[256] = "";
	long long hid = 0, id;

	CHECK(store_set_status(st, "TL-AAAA-0001", "in-review", "2026-11-30",
	    NULL, NULL) == 0);
	CHECK(store_set_status(st, "TL-AAAA-0001", "forwarded", "2026-12-01",
	    seal_note, &hid) == 0);
	CHECK(hid > 0);
	CHECK(store_set_status(st, "TL-AAAA-0001", "bogus", "2026-12-01",
	    NULL, NULL) == -1);
	CHECK(store_set_status(st, "TL-ZZZZ-ZZZZ", "closed", "2026-12-01",
	    NULL, NULL) == 1);
	/* a failed note rolls the whole change back */
	CHECK(store_set_status(st, "TL-AAAA-0001", "closed", "2026-12-01",
	    fail_seal, NULL) == -1);
	id = query_int("SELECT id FROM reports WHERE ref = 'TL-AAAA-0001'");
	CHECK(store_history(st, id, collect_hist, hist) == 0);
	CHECK(strcmp(hist, "in-review;forwarded+note;") == 0);
	CHECK(query_int("SELECT count(*) FROM reports WHERE ref = "
	    "'TL-AAAA-0001' AND status = 'forwarded'") == 1);
	store_close(st);
}

static int
collect_ref(void *ctx, const struct store_row *row)
{
	strcat(ctx, row->ref);
	strcat(ctx, ";");
	return 0;
}

TEST(query_filters_by_status_and_day)
{
	struct store *st = open_store(100);
	struct store_query q;
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1], out[512];

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-BBBB-0001", "2026-01-15",
	    "2099-12-31", env, sizeof(env), dup) == STORE_OK);
	memset(&q, 0, sizeof(q));
	q.until = "2026-02-01";
	out[0] = '\0';
	CHECK(store_each(st, &q, collect_ref, out) == 0);
	CHECK(strcmp(out, "TL-BBBB-0001;") == 0);
	q.until = NULL;
	q.before = "2026-01-15";
	out[0] = '\0';
	CHECK(store_each(st, &q, collect_ref, out) == 0 && out[0] == '\0');
	q.before = NULL;
	q.status = "forwarded";
	out[0] = '\0';
	CHECK(store_each(st, &q, collect_ref, out) == 0);
	CHECK(strcmp(out, "TL-AAAA-0001;") == 0);
	q.status = NULL;
	q.since = "2026-11-29";
	q.until = "2026-11-29";
	out[0] = '\0';
	CHECK(store_each(st, &q, collect_ref, out) == 0);
	CHECK(strstr(out, "TL-BBBB-0001") == NULL && strstr(out,
	    "TL-AAAA-0004;TL-AAAA-0002;TL-AAAA-0001;") != NULL);
	store_close(st);
}

TEST(recipient_keys_are_the_current_set)
{
	struct store *st = open_store(100);
	struct recipients rc, got;

	memset(&rc, 0, sizeof(rc));
	rc.n = 2;
	randombytes_buf(rc.k[0].pk, PK_BYTES);
	key_id(rc.k[0].pk, rc.k[0].id);
	randombytes_buf(rc.k[1].pk, PK_BYTES);
	key_id(rc.k[1].pk, rc.k[1].id);
	CHECK(store_put_keys(st, &rc) == 0);
	CHECK(store_put_keys(st, &rc) == 0);
	CHECK(store_get_keys(st, &got) == 0 && got.n == 2);
	CHECK(memcmp(got.k[0].pk, rc.k[0].pk, PK_BYTES) == 0 ||
	    memcmp(got.k[0].pk, rc.k[1].pk, PK_BYTES) == 0);
	rc.n = 1;	/* a key taken out of the recipients file */
	CHECK(store_put_keys(st, &rc) == 0);
	CHECK(store_get_keys(st, &got) == 0 && got.n == 1);
	CHECK(memcmp(got.k[0].pk, rc.k[0].pk, PK_BYTES) == 0);
	store_close(st);
}

static int
file_has(const char *p, const unsigned char *needle, size_t n)
{
	FILE *f = fopen(p, "rb");
	unsigned char *b;
	size_t len, i;
	int found = 0;

	if (f == NULL)
		return 0;
	b = malloc(1 << 24);
	len = fread(b, 1, 1 << 24, f);
	fclose(f);
	for (i = 0; i + n <= len && !found; i++)
		found = memcmp(b + i, needle, n) == 0;
	free(b);
	return found;
}

TEST(delete_removes_rows_and_their_bytes)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE], secret[64];
	char dup[REF_LEN + 1], wal[300];
	long long id;

	randombytes_buf(secret, sizeof(secret));
	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-CCCC-0001", "2026-11-29",
	    "2099-12-31", secret, sizeof(secret), dup) == STORE_OK);
	id = query_int("SELECT id FROM reports WHERE ref = 'TL-CCCC-0001'");
	CHECK(store_set_status(st, "TL-CCCC-0001", "closed", "2026-11-29",
	    NULL, NULL) == 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CHECK(file_has(path, secret, sizeof(secret)) ||
	    file_has(wal, secret, sizeof(secret)));
	CHECK(store_delete(st, &id, 1) == 0);
	CHECK(query_int("SELECT count(*) FROM reports WHERE id = 1000000 OR "
	    "ref = 'TL-CCCC-0001'") == 0);
	CHECK(query_int("SELECT count(*) FROM status_history WHERE "
	    "report_id NOT IN (SELECT id FROM reports)") == 0);
	CHECK(query_int("SELECT count(*) FROM used_tokens WHERE "
	    "report_id NOT IN (SELECT id FROM reports)") == 0);
	CHECK(!file_has(path, secret, sizeof(secret)));
	CHECK(!file_has(wal, secret, sizeof(secret)));
	store_close(st);
}

/* Found by test_sync.py: a report that arrived after the newest one was
 * purged got the purged one's id, below every workstation's cursor. */
TEST(a_purged_newest_id_is_never_given_again)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];
	long long top;

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0100", "2026-11-29",
	    "2026-11-30", env,
	    sizeof(env), dup) == STORE_OK);
	top = query_int("SELECT max(id) FROM reports");
	CHECK(store_delete(st, &top, 1) == 0);
	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-AAAA-0101", "2026-11-29",
	    "2026-11-30", env,
	    sizeof(env), dup) == STORE_OK);
	CHECK(query_int("SELECT id FROM reports WHERE ref = 'TL-AAAA-0101'") ==
	    top + 1);
	store_close(st);
}

/* issue 11 item 2: used_tokens rows went with their report (ON DELETE
 * CASCADE), so a purged report's token, still valid for up to a day,
 * could make a second report. */
TEST(a_purged_reports_token_makes_no_second_report)
{
	struct store *st = open_store(100);
	unsigned char nonce[TOKEN_NONCE];
	char dup[REF_LEN + 1];
	long long id, before;

	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-DDDD-0001", "2099-01-01",
	    "2099-01-02", env, sizeof(env), dup) == STORE_OK);
	id = query_int("SELECT id FROM reports WHERE ref = 'TL-DDDD-0001'");
	CHECK(store_delete(st, &id, 1) == 0);
	CHECK(query_int("SELECT count(*) FROM used_tokens WHERE report_id IS "
	    "NULL AND expires = '2099-01-02'") == 1);
	before = query_int("SELECT count(*) FROM reports");
	CHECK(store_insert(st, nonce, "TL-DDDD-0002", "2099-01-02",
	    "2099-01-03", env, sizeof(env), dup) == STORE_USED);
	CHECK(query_int("SELECT count(*) FROM reports") == before);
	store_close(st);
}

TEST(expired_nonces_are_forgotten_by_intake_and_purge)
{
	struct store *st = open_store(100);
	unsigned char a[TOKEN_NONCE], b[TOKEN_NONCE];
	char dup[REF_LEN + 1];
	long long id;

	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	CHECK(store_insert(st, a, "TL-EEEE-0001", "2020-01-01", "2020-01-02",
	    env, sizeof(env), dup) == STORE_OK);
	CHECK(query_int("SELECT count(*) FROM used_tokens WHERE "
	    "expires = '2020-01-02'") == 1);
	/* A report two days later: the nonce that expired is gone, the
	 * report stays. */
	CHECK(store_insert(st, b, "TL-EEEE-0002", "2020-01-04", "2020-01-05",
	    env, sizeof(env), dup) == STORE_OK);
	CHECK(query_int("SELECT count(*) FROM used_tokens WHERE "
	    "expires = '2020-01-02'") == 0);
	CHECK(query_int("SELECT count(*) FROM reports WHERE ref = "
	    "'TL-EEEE-0001'") == 1);
	/* A purge forgets expired nonces too (today is after 2020). */
	id = query_int("SELECT id FROM reports WHERE ref = 'TL-EEEE-0001'");
	CHECK(store_delete(st, &id, 1) == 0);
	CHECK(query_int("SELECT count(*) FROM used_tokens WHERE "
	    "expires < '2021-01-01'") == 0);
	store_close(st);
}

extern const char *const migrations[];

TEST(migration_3_keeps_nonces_with_an_expiry_day)
{
	char p3[300], err[256];
	struct store *st;
	sqlite3 *db;

	snprintf(p3, sizeof(p3), "%s/v2.db", dir);
	CHECK(sqlite3_open(p3, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, migrations[0], NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, migrations[1], NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 2; INSERT INTO reports "
	    "(id, ref, day, envelope) VALUES (7, 'TL-FFFF-0001', '2026-11-20', "
	    "x'00'); INSERT INTO used_tokens VALUES "
	    "(x'00112233445566778899aabbccddeeff', 7)", NULL, NULL, NULL) ==
	    SQLITE_OK);
	sqlite3_close(db);
	CHECK((st = store_open(p3, 100, 0, err, sizeof(err))) != NULL);
	store_close(st);
	CHECK(sqlite3_open(p3, &db) == SQLITE_OK);
	{
		sqlite3_stmt *s;

		CHECK(sqlite3_prepare_v2(db, "SELECT report_id, expires FROM "
		    "used_tokens", -1, &s, NULL) == SQLITE_OK);
		CHECK(sqlite3_step(s) == SQLITE_ROW);
		CHECK(sqlite3_column_int64(s, 0) == 7);
		CHECK(strcmp((const char *)sqlite3_column_text(s, 1),
		    "2026-11-28") == 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	unlink(p3);
}

/* issue 11 item 2: nothing capped the database, so a flood could fill
 * the disk. Past max_db_size an insert is STORE_FULL and stores
 * nothing; store_usage rises towards 100; a purge makes room again. */
TEST(max_db_size_refuses_inserts_past_the_cap_until_room_is_made)
{
	char p4[300], err[256], ref[REF_LEN + 1], dup[REF_LEN + 1];
	unsigned char nonce[TOKEN_NONCE], big[3000];
	struct store *st;
	enum store_res res = STORE_OK;
	long long ids[1000];
	int i, n = 0, u0, u1;

	snprintf(p4, sizeof(p4), "%s/cap.db", dir);
	CHECK((st = store_open(p4, 100, 1, err, sizeof(err))) != NULL);
	if (st == NULL)
		return;
	CHECK(store_usage(st) == -1);		/* no cap set yet */
	CHECK(store_limit_size(st, 1024 * 1024) == 0);
	u0 = store_usage(st);
	CHECK(u0 >= 0 && u0 < 20);
	randombytes_buf(big, sizeof(big));
	for (i = 0; i < 1000 && res == STORE_OK; i++) {
		randombytes_buf(nonce, sizeof(nonce));
		snprintf(ref, sizeof(ref), "TL-GGGG-%04d", i);
		res = store_insert(st, nonce, ref, "2099-01-01", "2099-01-02",
		    big, sizeof(big), dup);
		if (res == STORE_OK)
			ids[n++] = i + 1;
	}
	CHECK(res == STORE_FULL);
	CHECK(n > 100 && n < 1000);
	u1 = store_usage(st);
	CHECK(u1 >= 95 && u1 <= 100);
	CHECK(query_int_at(p4, "SELECT count(*) FROM reports") == n);
	/* A purge makes room: intake resumes without a restart. */
	CHECK(store_delete(st, ids, 10) == 0);
	CHECK(store_usage(st) < u1);
	randombytes_buf(nonce, sizeof(nonce));
	CHECK(store_insert(st, nonce, "TL-GGGG-9999", "2099-01-01",
	    "2099-01-02", big, sizeof(big), dup) == STORE_OK);
	store_close(st);
	unlink(p4);
}

static void
batch_row(struct store_batch_row *r, const unsigned char *nonce,
    const char *ref, const unsigned char *e, size_t elen)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->nonce, nonce, TOKEN_NONCE);
	snprintf(r->ref, sizeof(r->ref), "%s", ref);
	snprintf(r->day, sizeof(r->day), "2099-01-01");
	snprintf(r->expires, sizeof(r->expires), "2099-01-02");
	r->env = e;
	r->envlen = elen;
	r->res = STORE_ERR;
}

/* Group commit: within one batch a token still makes one report, and a
 * reference collision undoes only its own row. */
TEST(batch_stores_its_rows_and_one_report_per_token)
{
	struct store *st = open_store(100);
	struct store_batch_row rows[4];
	unsigned char a[TOKEN_NONCE], b[TOKEN_NONCE], c[TOKEN_NONCE];
	long long before = query_int("SELECT count(*) FROM reports");

	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	randombytes_buf(c, sizeof(c));
	batch_row(&rows[0], a, "TL-HHHH-0001", env, sizeof(env));
	batch_row(&rows[1], b, "TL-HHHH-0001", env, sizeof(env)); /* taken */
	batch_row(&rows[2], a, "TL-HHHH-0002", env, sizeof(env)); /* again */
	batch_row(&rows[3], c, "TL-HHHH-0003", env, sizeof(env));
	CHECK(store_insert_batch(st, rows, 4) == STORE_OK);
	CHECK(rows[0].res == STORE_OK && rows[3].res == STORE_OK);
	CHECK(rows[1].res == STORE_REF_TAKEN);
	CHECK(rows[2].res == STORE_DUP &&
	    strcmp(rows[2].dupref, "TL-HHHH-0001") == 0);
	CHECK(query_int("SELECT count(*) FROM reports") == before + 2);
	/* The collided row left no nonce behind: sealed again, it goes in. */
	batch_row(&rows[1], b, "TL-HHHH-0004", env, sizeof(env));
	CHECK(store_insert_batch(st, rows + 1, 1) == STORE_OK &&
	    rows[1].res == STORE_OK);
	store_close(st);
}

/* A batch that cannot be committed stores nothing and fails every row,
 * even one that would have been a duplicate of a row in the same batch:
 * nothing of it may be acknowledged. */
TEST(a_failed_batch_stores_nothing_and_fails_every_row)
{
	static unsigned char big[256 * 1024];
	struct store *st = open_store(100);
	struct store_batch_row rows[3];
	unsigned char a[TOKEN_NONCE], b[TOKEN_NONCE];
	long long before = query_int("SELECT count(*) FROM reports");
	sqlite3 *db;
	int i;

	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	randombytes_buf(big, sizeof(big));
	/* Locked by another process's transaction: all busy. */
	sqlite3_open(path, &db);
	CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK);
	batch_row(&rows[0], a, "TL-JJJJ-0001", env, sizeof(env));
	batch_row(&rows[1], a, "TL-JJJJ-0002", env, sizeof(env));
	CHECK(store_insert_batch(st, rows, 2) == STORE_BUSY);
	CHECK(rows[0].res == STORE_BUSY && rows[1].res == STORE_BUSY);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* The last row does not fit: the first two are not stored either. */
	CHECK(store_limit_size(st, 64 * 1024 +
	    query_int("PRAGMA page_count") * query_int("PRAGMA page_size")) ==
	    0);
	batch_row(&rows[2], b, "TL-JJJJ-0003", big, sizeof(big));
	CHECK(store_insert_batch(st, rows, 3) == STORE_FULL);
	for (i = 0; i < 3; i++)
		CHECK(rows[i].res == STORE_FULL);
	CHECK(query_int("SELECT count(*) FROM reports") == before);
	/* The same rows again: token a was not used (STORE_OK, not
	 * STORE_DUP), and makes one report. */
	CHECK(store_insert_batch(st, rows, 2) == STORE_OK);
	CHECK(rows[0].res == STORE_OK && rows[1].res == STORE_DUP);
	CHECK(query_int("SELECT count(*) FROM reports") == before + 1);
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
	RUN(migrations_build_exactly_db_schema_sql);
	RUN(status_changes_are_kept_in_history);
	RUN(query_filters_by_status_and_day);
	RUN(recipient_keys_are_the_current_set);
	RUN(delete_removes_rows_and_their_bytes);
	RUN(a_purged_newest_id_is_never_given_again);
	RUN(a_purged_reports_token_makes_no_second_report);
	RUN(expired_nonces_are_forgotten_by_intake_and_purge);
	RUN(migration_3_keeps_nonces_with_an_expiry_day);
	RUN(max_db_size_refuses_inserts_past_the_cap_until_room_is_made);
	RUN(batch_stores_its_rows_and_one_report_per_token);
	RUN(a_failed_batch_stores_nothing_and_fails_every_row);
	RUN(references_are_well_formed_and_differ);
	RUN(a_receipt_row_is_stored_with_its_report_and_deleted_with_it);
	rv = T_DONE();
	unlink(path);
	snprintf(path, sizeof(path), "%s/tips.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tips.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return rv;
}
