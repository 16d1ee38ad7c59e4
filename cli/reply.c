/*
 * Replies to the reporter (issue 13): `tipline reply REF` writes one
 * signed event of type reply (docs/FORMATS.md section 9) whose sealed
 * part is sealed to the team and to the report's receipt public key
 * (section 14), which the case file got with the report from the
 * relay (section 10). The follow-up page opens it with the key it
 * derives from the receipt; the relay can read neither side.
 */
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "team.h"

/* The report's receipt public key from the case file; 0, or -1 when it
 * has none (a report from before receipts). */
static int
receipt_key(struct store *st, const char *ref, unsigned char pk[PK_BYTES])
{
	sqlite3_stmt *s;
	int rv = -1;

	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT c.public_key FROM "
	    "receipts c JOIN reports r ON r.id = c.report_id WHERE r.ref = ?",
	    -1, &s, NULL) != SQLITE_OK)
		die("cannot read the case file: %s", store_errmsg(st));
	sqlite3_bind_text(s, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_bytes(s, 0) == PK_BYTES) {
		memcpy(pk, sqlite3_column_blob(s, 0), PK_BYTES);
		rv = 0;
	}
	sqlite3_finalize(s);
	return rv;
}

int
cmd_reply(struct opts *o)
{
	struct recipients rc;
	struct seckey key;
	struct store *st;
	struct team t;
	char *buf, *plain;
	const char *ref;

	if (o->nargs < 1 || o->nargs > 2)
		usage_error("reply takes a reference (and '-' for standard "
		    "input)");
	ref = o->args[0];
	team_load(o, &t);
	st = case_with(o, ref);
	team_recipients(&t, &rc);
	if (rc.n >= MAX_RECIPIENTS)
		die("the team file has too many members to add the reporter");
	if (receipt_key(st, ref, rc.k[rc.n].pk) != 0) {
		hint("only reports sent with a receipt can be answered");
		die("%s has no receipt key in the case file", ref);
	}
	key_id(rc.k[rc.n].pk, rc.k[rc.n].id);
	rc.n++;
	if ((buf = sodium_malloc(MAX_NOTE * 4 + 2)) == NULL)
		die("out of memory");
	note_text(o, buf);
	plain = sealed_part("reply", buf);
	sodium_free(buf);
	key_unlock(o, &key);
	case_write_event_to(st, &t, &key, EV_REPLY, ref, 0, plain, &rc);
	record_free_string(plain);
	keyfile_lock(&key);
	store_close(st);
	printf("%s: reply written (signed; the reporter reads it after the "
	    "next sync)\n", ref);
	return 0;
}
