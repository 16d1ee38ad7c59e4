/*
 * Keeping the database: purge (delete by explicit criteria, overwrite,
 * compact), stats (counts), verify (integrity and every envelope).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "flag.h"
#include "team.h"
#include "util.h"

struct ids {
	long long	*v;
	size_t		 n, cap;
	int		 dry;
};

static int
collect_id(void *ctx, const struct store_row *row)
{
	struct ids *ids = ctx;

	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 64;
		if ((ids->v = realloc(ids->v, ids->cap * sizeof(*ids->v))) ==
		    NULL)
			die("out of memory");
	}
	ids->v[ids->n++] = row->id;
	/* Clear columns may have been planted: through safe_write. */
	fputs(ids->dry ? "would purge " : "", stdout);
	safe_write(stdout, row->ref, strlen(row->ref), 0);
	fputs("  ", stdout);
	safe_write(stdout, row->day, strlen(row->day), 0);
	fputs("  ", stdout);
	safe_write(stdout, row->status, strlen(row->status), 0);
	putchar('\n');
	return 0;
}

/* "180d" as the day 180 days before today. */
static void
cutoff_day(const char *arg, char day[11])
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (end == arg || strcmp(end, "d") != 0 || n < 0 || n > 36500)
		usage_error("--older-than takes a number of days, like 180d");
	day_utc(time(NULL) - (time_t)n * 86400, day);
}

static void
purge_select(const struct opts *o, struct store *st, struct ids *ids)
{
	struct store_query q;
	char cut[11];
	int i, r;

	if (o->nargs == 0) {
		memset(&q, 0, sizeof(q));
		cutoff_day(o->older_than, cut);
		q.status = o->status;
		q.before = cut;
		if (store_each(st, &q, collect_id, ids) != 0)
			die("cannot read the database");
		return;
	}
	for (i = 0; i < o->nargs; i++) {
		if (!ref_valid(o->args[i], strlen(o->args[i])))
			usage_error("'%s' is not a reference", o->args[i]);
		if ((r = store_get(st, o->args[i], collect_id, ids)) < 0)
			die("cannot read the database");
		if (r == 0)
			die("no report %s; nothing purged", o->args[i]);
	}
}

int
cmd_purge(struct opts *o)
{
	struct ids ids;
	struct store *st;
	int r;

	if (o->nargs > 0 && (o->status || o->older_than))
		usage_error("give references, or --status and --older-than, "
		    "not both");
	if (o->nargs == 0 && (o->status == NULL || o->older_than == NULL))
		usage_error("purge deletes only by explicit criteria: "
		    "--status S --older-than Nd, or references");
	if (o->db == NULL && case_path(o) != NULL)
		return case_purge(o);
	memset(&ids, 0, sizeof(ids));
	ids.dry = o->dry_run;
	st = db_open(o);
	purge_select(o, st, &ids);
	if (!o->dry_run && ids.n > 0 && (r = store_delete(st, ids.v, ids.n)) !=
	    0) {
		if (r < 0)
			die("cannot purge: %s; nothing was deleted",
			    store_errmsg(st));
		hint("run the same purge again later: it compacts the file");
		die("deleted, but could not compact the file (%s): the "
		    "deleted bytes may remain until it is", store_errmsg(st));
	}
	fprintf(stderr, "tipline: %s %zu report%s\n", o->dry_run ?
	    "would purge" : "purged", ids.n, ids.n == 1 ? "" : "s");
	store_close(st);
	free(ids.v);
	return 0;
}

/* On a case file a purge is a signed event per report: the report goes
 * from this case file now, from the relay (secure_delete) when the
 * event is pushed, from the other workstations when they pull it. */
int
case_purge(const struct opts *o)
{
	struct seckey key;
	struct team t;
	struct store *st;
	struct ids ids;
	char (*refs)[REF_LEN + 1];
	size_t i;

	memset(&ids, 0, sizeof(ids));
	ids.dry = o->dry_run;
	team_load(o, &t);
	st = case_open(o);
	purge_select(o, st, &ids);
	if ((refs = calloc(ids.n + 1, sizeof(*refs))) == NULL)
		die("out of memory");
	for (i = 0; i < ids.n; i++)
		if (store_ref_of(st, ids.v[i], refs[i]) != 0)
			die("cannot read the case file");
	if (!o->dry_run && ids.n > 0) {
		key_unlock(o, &key);
		for (i = 0; i < ids.n; i++)
			case_write_event(st, &t, &key, EV_PURGE, refs[i], 0,
			    NULL);
		keyfile_lock(&key);
		/* The local copy: secure_delete, then out of the WAL. */
		sqlite3_exec(store_sqlite(st), "PRAGMA wal_checkpoint(TRUNCATE)",
		    NULL, NULL, NULL);
	}
	fprintf(stderr, "tipline: %s %zu report%s%s\n", o->dry_run ?
	    "would purge" : "purged", ids.n, ids.n == 1 ? "" : "s",
	    o->dry_run ? "" : " (signed; the relay deletes them at the next "
	    "sync)");
	store_close(st);
	free(refs);
	free(ids.v);
	return 0;
}

struct stats {
	json_t	*by[5];
	long	 answered, due;	/* replied to; owed a reply (flag D) */
};

static const char *const stat_names[5] = {
	"status", "type", "canton", "month", "week"
};

/* Adds one to obj[key]; non-zero if jansson refused the key. */
static int
count_one(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_object_set_new(obj, key, json_integer(v ?
	    json_integer_value(v) + 1 : 1));
}

static void
bump(json_t *obj, const char *key)
{
	/* A planted key that is not UTF-8 is counted as "?". */
	if (count_one(obj, key) != 0)
		(void)count_one(obj, "?");
}

/* The number in s[0..n), or -1 if they are not all digits. */
static int
digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ISO 8601 week of a day, "2026-W48"; "unknown" for a day that is not
 * one (the database may have been altered). */
static void
iso_week(const char *day, char out[16])
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	snprintf(out, 16, "unknown");
	if (strlen(day) != 10 || digits(day, 4) < 0 || digits(day + 5, 2) < 0 ||
	    digits(day + 8, 2) < 0)
		return;
	tm.tm_year = digits(day, 4) - 1900;
	tm.tm_mon = digits(day + 5, 2) - 1;
	tm.tm_mday = digits(day + 8, 2);
	tm.tm_hour = 12;
	if (timegm(&tm) == (time_t)-1 || strftime(out, 16, "%G-W%V", &tm) == 0)
		snprintf(out, 16, "unknown");
}

static int
stats_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	struct stats *s = rd->ctx;
	const char *type = choice_value(rec, "type");
	const char *canton = choice_value(rec, "canton");
	char month[8], week[16];

	snprintf(month, sizeof(month), "%.7s", row->day);
	iso_week(row->day, week);
	bump(s->by[0], row->status);
	bump(s->by[1], *type ? type : "(none)");
	bump(s->by[2], *canton ? canton : "(none)");
	bump(s->by[3], month);
	bump(s->by[4], week);
	s->answered += rd->answered > 0;
	s->due += (rd->flags & flag_bit("reply-due")) != 0;
	return 0;
}

static void
print_stats(const struct stats *s, int n)
{
	const char *k;
	json_t *v;
	int i;

	printf("Reports: %d\nAnswered: %ld\nReply due: %ld\n", n,
	    s->answered, s->due);
	for (i = 0; i < 5; i++) {
		printf("\nBy %s:\n", stat_names[i]);
		json_object_foreach(s->by[i], k, v) {
			/* A key may be a planted status or day. */
			fputs("  ", stdout);
			safe_write(stdout, k, strlen(k), 0);
			printf("%*s %6lld\n", strlen(k) < 12 ? (int)(12 -
			    strlen(k)) : 0, "", (long long)json_integer_value(v));
		}
	}
}

int
cmd_stats(struct opts *o)
{
	struct reader rd;
	struct stats s;
	json_t *all;
	int i;

	if (o->nargs != 0)
		usage_error("stats takes no arguments");
	for (i = 0; i < 5; i++)
		s.by[i] = json_object();
	s.answered = s.due = 0;
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	rd.emit = stats_row;
	rd.ctx = &s;
	if (reader_run(&rd, NULL) != 0)
		die("cannot read the database");
	reader_done(&rd);
	if (o->json) {
		all = json_object();
		json_object_set_new(all, "total", json_integer(rd.shown));
		json_object_set_new(all, "answered", json_integer(s.answered));
		json_object_set_new(all, "reply_due", json_integer(s.due));
		for (i = 0; i < 5; i++)
			json_object_set(all, stat_names[i], s.by[i]);
		json_print(stdout, all, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(all);
	} else
		print_stats(&s, rd.shown);
	for (i = 0; i < 5; i++)
		json_decref(s.by[i]);
	return rd.bad ? EXIT_FAIL : 0;
}

/* The key ids an envelope is sealed to that are not in the team (v1
 * and v2 stanzas: envelope_recipients knows both layouts). */
static void
check_stanzas(struct reader *rd, const struct store_row *row)
{
	unsigned char ids[MAX_RECIPIENTS][KEY_ID_BYTES];
	const struct team *t = rd->ctx;
	char hex[2 * KEY_ID_BYTES + 1];
	size_t i, n;

	if (t == NULL)
		return;
	n = envelope_recipients(row->env, row->envlen, ids);
	for (i = 0; i < n; i++) {
		if (team_find(t, ids[i]) != NULL)
			continue;
		sodium_bin2hex(hex, sizeof(hex), ids[i], KEY_ID_BYTES);
		warnx_("%s: sealed also to key %s, which is not in the team "
		    "file", row->ref, hex);
		rd->bad++;
	}
}

/* Keys in the database's recipient_keys that the team file does not
 * hold: planted, or a member removed. Never sealed to with a team file;
 * named here. */
static int
check_db_keys(struct store *st, const struct team *t)
{
	struct recipients rc;
	char hex[2 * KEY_ID_BYTES + 1];
	size_t i;
	int bad = 0;

	if (store_get_keys(st, &rc) != 0)
		die("cannot read the database");
	for (i = 0; i < rc.n; i++) {
		if (team_find(t, rc.k[i].id) != NULL)
			continue;
		sodium_bin2hex(hex, sizeof(hex), rc.k[i].id, KEY_ID_BYTES);
		warnx_("key %s in the database's recipient_keys is not in the "
		    "team file: it is never sealed to or trusted", hex);
		bad++;
	}
	return bad;
}

static int
verify_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	(void)rec;
	check_stanzas(rd, row);
	json_decref(history_json(rd, row));	/* opens every note */
	files_verify(rd, row);	/* every chunk of every file */
	return 0;
}

int
cmd_verify(struct opts *o)
{
	struct reader rd;
	struct team team;
	char msg[512];
	int bad_db;

	if (o->nargs != 0 || o->status || o->since || o->until || o->type ||
	    o->canton || o->search || o->flag_all || o->flag_none ||
	    o->urgent)
		usage_error("verify takes no arguments or filters");
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	if ((bad_db = store_integrity(rd.st, msg, sizeof(msg))) != 0)
		warnx_("database integrity: %s", msg);
	if (o->team != NULL || getenv("TIPLINE_TEAM") != NULL) {
		team_load(o, &team);
		rd.ctx = &team;
		rd.bad += check_db_keys(rd.st, &team);
	}
	rd.emit = verify_row;
	if (reader_run(&rd, NULL) != 0)
		die("cannot read the database");
	reader_done(&rd);
	if (bad_db || rd.bad) {
		fprintf(stderr, "tipline: verify: %d report%s or note%s did not "
		    "open%s\n", rd.bad, rd.bad == 1 ? "" : "s", rd.bad == 1 ?
		    "" : "s", bad_db ? "; the database is damaged" : "");
		return EXIT_FAIL;
	}
	printf("ok: database intact, %d report%s open with this key\n",
	    rd.shown, rd.shown == 1 ? "" : "s");
	return 0;
}
