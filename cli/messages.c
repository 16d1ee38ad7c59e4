/*
 * What reporters added to their reports after sending (issue 13), for
 * `tipline show`: each message of a report, oldest first, opened with
 * the analyst's key (sealed like a report, associated data
 * "<ref>/message"; docs/FORMATS.md section 14). Text from a reporter
 * reaches the terminal through safe_write only.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"

/* {"day": D, "text": T}, or {"day": D, "error": why}. */
static json_t *
open_message(struct reader *rd, const char *ref, const char *day,
    const unsigned char *env, size_t n)
{
	unsigned char *pt;
	char ad[REF_LEN + 16];
	size_t len;
	json_t *j, *o = json_pack("{s:s}", "day", day);
	enum env_err e;

	snprintf(ad, sizeof(ad), "%s/message", ref);
	if ((e = envelope_open(env, n, ad, rd->key.pub.pk, rd->key.sk, &pt,
	    &len)) != ENV_OK) {
		warnx_("%s: a message from the reporter cannot be opened: %s",
		    ref, envelope_strerror(e));
		rd->bad++;
		json_object_set_new(o, "error", json_string("cannot be opened"));
		return o;
	}
	j = json_loadb((const char *)pt, len, JSON_REJECT_DUPLICATES, NULL);
	sodium_free(pt);
	if (!json_is_string(json_object_get(j, "text"))) {
		warnx_("%s: a message from the reporter is damaged", ref);
		rd->bad++;
		json_object_set_new(o, "error", json_string("damaged"));
	} else
		json_object_set(o, "text", json_object_get(j, "text"));
	json_decref(j);
	return o;
}

json_t *
messages_json(struct reader *rd, const struct store_row *row)
{
	sqlite3 *db = store_sqlite(rd->st);
	json_t *arr = json_array();
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "SELECT day, envelope FROM messages WHERE "
	    "report_id = ? ORDER BY id", -1, &s, NULL) != SQLITE_OK)
		die("cannot read the messages: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, row->id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(arr, open_message(rd, row->ref,
		    (const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1)));
	sqlite3_finalize(s);
	return arr;
}

long
messages_count(struct reader *rd, const struct store_row *row)
{
	sqlite3 *db = store_sqlite(rd->st);
	sqlite3_stmt *s;
	long n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM messages WHERE "
	    "report_id = ?", -1, &s, NULL) != SQLITE_OK)
		die("cannot read the messages: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, row->id);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

void
print_messages(json_t *msgs)
{
	const char *day, *text;
	json_t *m;
	size_t i;

	if (json_array_size(msgs) == 0)
		return;
	fputs("\nAdded by the reporter:\n", stdout);
	json_array_foreach(msgs, i, m) {
		day = json_string_value(json_object_get(m, "day"));
		text = json_string_value(json_object_get(m, "text"));
		fputs("  ", stdout);
		safe_write(stdout, day ? day : "?", strlen(day ? day : "?"), 0);
		fputs(": ", stdout);
		if (text != NULL)
			safe_write(stdout, text, strlen(text), 1);
		else
			fputs("[cannot be opened]", stdout);
		putchar('\n');
	}
}
