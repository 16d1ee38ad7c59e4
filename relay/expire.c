/*
 * Retention on the server. The relay learns what each analyst has by
 * the cursor their PULL presents: the largest report id their case file
 * has committed (docs/FORMATS.md section 10). A report whose id is at
 * or below the smallest such cursor over every member of the server's
 * team file has reached every workstation; when it is also older than
 * retention_days, its envelope is emptied (secure_delete zeroes the
 * freed pages; a checkpoint moves them out of the WAL). The row stays
 * with its clear status, which the reporter-facing pages read until
 * their own retention ends; a pull skips emptied rows. A member who has
 * never pulled holds everything back: a report one analyst lacks is
 * never removed. A report's files go the same way, once every member's
 * file cursor is past all of their chunks (a pull cut inside a large
 * file has committed the report but not yet its last chunks).
 */
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "expire.h"
#include "util.h"

int
expire_record(sqlite3 *db, const unsigned char analyst[KEY_ID_BYTES],
    uint64_t report_cursor, uint64_t file_cursor)
{
	sqlite3_stmt *s;
	int rc;

	if (report_cursor > INT64_MAX || file_cursor > INT64_MAX ||
	    sqlite3_prepare_v2(db, "INSERT INTO deliveries (analyst, "
	    "report_cursor, file_cursor) VALUES (?, ?, ?) ON CONFLICT "
	    "(analyst) DO UPDATE SET report_cursor = excluded.report_cursor, "
	    "file_cursor = excluded.file_cursor", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_blob(s, 1, analyst, KEY_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)report_cursor);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)file_cursor);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The smallest report and file cursors over the team; 0 for a member
 * without them. */
static int
team_min_cursor(sqlite3 *db, const struct team *t, sqlite3_int64 min[2])
{
	sqlite3_stmt *s;
	sqlite3_int64 c;
	size_t i;
	int rc, k;

	if (sqlite3_prepare_v2(db, "SELECT report_cursor, file_cursor FROM "
	    "deliveries WHERE analyst = ?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	min[0] = min[1] = INT64_MAX;
	for (i = 0; i < t->n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, t->m[i].box.id, KEY_ID_BYTES,
		    SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		for (k = 0; k < 2; k++) {
			c = rc == SQLITE_ROW ? sqlite3_column_int64(s, k) : 0;
			if (c < min[k])
				min[k] = c;
		}
	}
	sqlite3_finalize(s);
	if (i < t->n)
		return -1;
	if (t->n == 0)
		min[0] = min[1] = 0;
	return 0;
}

int
expire_run(sqlite3 *db, const struct team *t, int days, long *n)
{
	sqlite3_int64 min[2];
	sqlite3_stmt *s = NULL, *f = NULL;
	int files = 0;
	char cutoff[11];
	int rc = -1;

	*n = 0;
	if (days <= 0)
		return 0;
	/* Older than days: received before the day days ago. */
	day_utc(time(NULL) - (time_t)days * 86400, cutoff);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (team_min_cursor(db, t, min) != 0 || sqlite3_prepare_v2(db,
	    "UPDATE reports SET envelope = x'' WHERE id <= ? AND day < ? AND "
	    "length(envelope) > 0", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, min[0]);
	sqlite3_bind_text(s, 2, cutoff, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	*n = sqlite3_changes(db);
	/* Files of the same reports, each once every member has all of its
	 * chunks; their chunks go with them (ON DELETE CASCADE). */
	if (sqlite3_prepare_v2(db, "DELETE FROM attachments WHERE report_id "
	    "IN (SELECT id FROM reports WHERE id <= ?1 AND day < ?2) AND NOT "
	    "EXISTS (SELECT 1 FROM attachment_chunks c WHERE c.attachment_id "
	    "= attachments.id AND c.id > ?3)", -1, &f, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(f, 1, min[0]);
	sqlite3_bind_text(f, 2, cutoff, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f, 3, min[1]);
	if (sqlite3_step(f) != SQLITE_DONE)
		goto out;
	files = sqlite3_changes(db);
	rc = 0;
out:
	sqlite3_finalize(f);
	sqlite3_finalize(s);
	if (sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL,
	    NULL) != SQLITE_OK)
		rc = -1;
	/* The old page images sit in the WAL until a checkpoint. */
	if (rc == 0 && (*n > 0 || files > 0))
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
		    NULL);
	return rc;
}
