/*
 * The reporter's side of the conversation; see followup.h and
 * docs/FORMATS.md section 14. Statements are prepared per call: a
 * follow-up is rare next to intake, and the worker keeps no state.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "event.h"
#include "followup.h"
#include "util.h"

static const char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "tlrcpt01";

_Static_assert(FOLLOWUP_CAP_RAW == 1 + 8 + 8 + crypto_auth_BYTES,
    "capability layout");

enum coarse
followup_coarse(const char *status)
{
	if (strcmp(status, "in-review") == 0)
		return COARSE_LOOKED_AT;
	if (strcmp(status, "forwarded") == 0)
		return COARSE_PASSED_ON;
	if (strcmp(status, "closed") == 0 || strcmp(status, "spam") == 0)
		return COARSE_CLOSED;
	return COARSE_RECEIVED;
}

static int
find_report(sqlite3 *db, const unsigned char *lookup, struct followup *f)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT p.id, p.ref, p.status FROM "
	    "receipts r JOIN reports p ON p.id = r.report_id WHERE "
	    "r.lookup = ?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_blob(s, 1, lookup, RECEIPT_LOOKUP, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		f->report_id = sqlite3_column_int64(s, 0);
		snprintf(f->ref, sizeof(f->ref), "%s",
		    (const char *)sqlite3_column_text(s, 1));
		f->coarse = followup_coarse((const char *)
		    sqlite3_column_text(s, 2));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The days of the report's messages; for no report (id 0) the same
 * query finds none. */
static int
find_days(sqlite3 *db, struct followup *f)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT DISTINCT day FROM messages WHERE "
	    "report_id = ? ORDER BY day LIMIT ?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, f->report_id);
	sqlite3_bind_int(s, 2, FOLLOWUP_MAX_DAYS);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	    f->ndays < FOLLOWUP_MAX_DAYS)
		snprintf(f->days[f->ndays++], sizeof(f->days[0]), "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
followup_find(struct store *st, const unsigned char lookup[RECEIPT_LOOKUP],
    struct followup *f)
{
	sqlite3 *db = store_sqlite(st);

	memset(f, 0, sizeof(*f));
	if (find_report(db, lookup, f) != 0 || find_days(db, f) != 0)
		return -1;
	return 0;
}

/* One reply event's text, opened with the receipt's key pair; the
 * plaintext is {"reply": text} (cli/reply.c). */
static void
show_reply(const unsigned char *body, size_t n, const unsigned char *pk,
    const unsigned char *sk, struct env_buf *b,
    void (*shown)(void *, const char *, const char *, size_t), void *ctx)
{
	struct event ev;
	json_t *o;
	size_t len;
	char ad[64];

	if (event_parse(body, n, &ev) != EVENT_OK || ev.type != EV_REPLY)
		return;
	event_ad(&ev, ad, sizeof(ad));
	if (envelope_open_buf(ev.sealed, ev.sealedlen, ad, pk, sk, b, &len) !=
	    ENV_OK)
		return;
	o = json_loadb((const char *)b->p, len, JSON_REJECT_DUPLICATES, NULL);
	sodium_memzero(b->p, len);
	if (json_is_string(json_object_get(o, "reply")))
		shown(ctx, ev.day, json_string_value(json_object_get(o,
		    "reply")), json_string_length(json_object_get(o, "reply")));
	json_decref(o);
}

int
followup_replies(struct store *st, const struct followup *f,
    const unsigned char pk[RECEIPT_KEY], const unsigned char sk[RECEIPT_KEY],
    void (*shown)(void *, const char *, const char *, size_t), void *ctx)
{
	struct env_buf b = { NULL, 0 };
	sqlite3_stmt *s;
	int rc;

	/* Events keep their type at byte 5 and their ref at bytes 54..65
	 * (section 9); an unknown receipt's empty ref matches none. */
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT body FROM events "
	    "WHERE substr(body, 6, 1) = x'07' AND substr(body, 55, 12) = ? "
	    "ORDER BY id LIMIT ?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_blob(s, 1, f->ref, (int)strlen(f->ref), SQLITE_STATIC);
	sqlite3_bind_int(s, 2, FOLLOWUP_MAX_REPLIES);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		show_reply(sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), pk, sk, &b, shown, ctx);
	sqlite3_finalize(s);
	env_buf_free(&b);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
followup_add(struct store *st, long long report_id, const char *day,
    const unsigned char *env, size_t envlen, long long *id)
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO messages (report_id, day, "
	    "envelope) SELECT id, ?, ? FROM reports WHERE id = ?", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, env, (int)envlen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, report_id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(db) != 1)
		return 1;
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

static void
cap_key(const unsigned char *secret, unsigned char key[crypto_auth_KEYBYTES])
{
	/* Subkey 4 of the server secret: the receipt uses 3, tokens the
	 * secret itself. */
	crypto_kdf_derive_from_key(key, crypto_auth_KEYBYTES, 4, kdf_context,
	    secret);
}

void
followup_cap_make(const unsigned char secret[RECEIPT_SECRET],
    long long report_id, uint64_t expires, char out[FOLLOWUP_CAP_CHARS + 1])
{
	unsigned char raw[FOLLOWUP_CAP_RAW], key[crypto_auth_KEYBYTES];

	raw[0] = FOLLOWUP_CAP_VERSION;
	be_put(raw + 1, (uint64_t)report_id, 8);
	be_put(raw + 9, expires, 8);
	cap_key(secret, key);
	crypto_auth(raw + 17, raw, 17, key);
	sodium_bin2base64(out, FOLLOWUP_CAP_CHARS + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(key, sizeof(key));
}

long long
followup_cap_check(const unsigned char secret[RECEIPT_SECRET], const char *s,
    size_t n, uint64_t now)
{
	unsigned char raw[FOLLOWUP_CAP_RAW], key[crypto_auth_KEYBYTES];
	long long id = 0;
	size_t len;

	if (n != FOLLOWUP_CAP_CHARS || sodium_base642bin(raw, sizeof(raw), s,
	    n, NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) !=
	    0 || len != sizeof(raw) || raw[0] != FOLLOWUP_CAP_VERSION)
		return 0;
	cap_key(secret, key);
	if (crypto_auth_verify(raw + 17, raw, 17, key) == 0 &&
	    be_get(raw + 9, 8) >= now && be_get(raw + 1, 8) <= INT64_MAX)
		id = (long long)be_get(raw + 1, 8);
	sodium_memzero(key, sizeof(key));
	return id;
}
