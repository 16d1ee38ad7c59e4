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

/* New information from the reporter (flag I): a message on or after
 * the day of the report's last reply, status or route event (any
 * message when there is none). Days, not times, are all the case file
 * has: a message of the day of a reply still counts, so that none is
 * missed; the next day's reply or decision clears it. Events keep
 * their type at byte 5, ref at 54..65 and day at 66..75 (section 9). */
int
messages_new(struct reader *rd, const struct store_row *row)
{
	sqlite3 *db = store_sqlite(rd->st);
	sqlite3_stmt *s;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM messages "
	    "WHERE report_id = ?1 AND day >= coalesce((SELECT "
	    "max(CAST(substr(body, 67, 10) AS TEXT)) FROM events WHERE "
	    "substr(body, 55, 12) = CAST(?2 AS BLOB) AND substr(body, 6, 1) "
	    "IN (x'01', x'03', x'07')), ''))", -1, &s, NULL) != SQLITE_OK)
		die("cannot read the messages: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, row->id);
	sqlite3_bind_text(s, 2, row->ref, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Flag D: a report that can be answered (it has a receipt key) and is
 * not closed or spam, with no reply and received before the reply day
 * (--reply-days ago), or received before the feedback day (90 days
 * ago) with no reply since. */
int
replies_due(struct reader *rd, const struct store_row *row, long *answered)
{
	sqlite3 *db = store_sqlite(rd->st);
	sqlite3_stmt *s;
	const char *last = NULL;
	int due = 0;

	*answered = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*), max(CAST(substr(body, "
	    "67, 10) AS TEXT)), EXISTS (SELECT 1 FROM receipts WHERE "
	    "report_id = ?2) FROM events WHERE substr(body, 55, 12) = "
	    "CAST(?1 AS BLOB) AND substr(body, 6, 1) = x'07'", -1, &s, NULL) !=
	    SQLITE_OK)
		die("cannot read the events: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, row->ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, row->id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*answered = (long)sqlite3_column_int64(s, 0);
		last = (const char *)sqlite3_column_text(s, 1);
		due = sqlite3_column_int(s, 2) && strcmp(row->status,
		    "closed") != 0 && strcmp(row->status, "spam") != 0 &&
		    ((*answered == 0 && strcmp(row->day, rd->o->reply_due) < 0)
		    || (strcmp(row->day, rd->o->feedback_due) < 0 &&
		    (last == NULL || strcmp(last, rd->o->feedback_due) < 0)));
	}
	sqlite3_finalize(s);
	return due;
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
