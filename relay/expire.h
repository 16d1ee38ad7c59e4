/*
 * The server's retention (tipline-relay(8), docs/DEPLOY.md): what each
 * analyst has pulled, and the emptying of reports that every analyst of
 * the team holds and that are older than the configured number of days.
 */
#ifndef TIPLINE_EXPIRE_H
#define TIPLINE_EXPIRE_H

#include <stdint.h>

#include <sqlite3.h>

#include "team.h"

/* Records the report cursor that analyst's PULL presented. */
int	expire_record(sqlite3 *, const unsigned char analyst[KEY_ID_BYTES],
	    uint64_t report_cursor, uint64_t file_cursor);
/* Empties the envelope of every report that every member of the team
 * has pulled and that arrived more than days days before today (UTC),
 * and deletes their files once every member has all of their chunks;
 * nothing when days is 0. The count in *n; 0 or -1 on error. */
int	expire_run(sqlite3 *, const struct team *, int days, long *n);

#endif
