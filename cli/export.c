/*
 * export: the filtered reports, decrypted, as CSV (RFC 4180: a header,
 * CRLF line ends, fields quoted when needed, UTF-8) or JSON lines. To a
 * file, the output is written to a temporary file in the same directory
 * (mode 0600) and linked into place only when complete, so an error
 * never leaves a half-written export, and an existing file is never
 * replaced without --force.
 */
#define _GNU_SOURCE	/* O_TMPFILE */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "fields.h"
#include "flag.h"
#include "util.h"

/* Which reports have a history at all, read once: most have none, and
 * a query a row would cost more than opening the envelope. */
struct has_hist {
	long long	*ids;	/* status_history's report ids, sorted */
	size_t		 nids;
	char		(*refs)[REF_LEN + 1];	/* events' refs, sorted */
	size_t		 nrefs;
};

struct export {
	FILE		*f;
	int		 csv, raw, notes;
	struct has_hist	 hh;
};

/* The CSV columns before the form's fields, in this order; man/tipline.1
 * names them (EXPORT COLUMNS), and they only ever grow at the end. */
static const char *const case_columns[] = {
	"ref", "day", "status", "lang", "form", "flags", "status_day",
	"decided_by", "routed_to", "routed_day", "notes",
};
#define NCASE_COLUMNS (sizeof(case_columns) / sizeof(case_columns[0]))

/* One CSV field, quoted when it holds a comma, quote, CR or LF. A
 * spreadsheet reads a cell that begins with = + - @ TAB or CR as a
 * formula, which can send other cells away (=WEBSERVICE): such a cell
 * gets a leading ' unless raw is set (OWASP's CSV injection advice). */
static void
csv_field(FILE *f, const char *s, int raw, int last)
{
	int defuse = !raw && *s != '\0' && strchr("=+-@\t\r", *s) != NULL;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		if (defuse)
			fputc('\'', f);
		fputs(s, f);
	} else {
		fputc('"', f);
		if (defuse)
			fputc('\'', f);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	}
	fputs(last ? "\r\n" : ",", f);
}

static void
csv_header(FILE *f)
{
	size_t i;

	for (i = 0; i < NCASE_COLUMNS; i++)
		csv_field(f, case_columns[i], 1, 0);
	for (i = 0; i < nfields; i++)
		csv_field(f, fields[i].name, 1, i + 1 == nfields);
}

static int
cmp_id(const void *a, const void *b)
{
	const long long *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static int
cmp_ref(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
load_has_hist(struct store *st, struct has_hist *hh)
{
	sqlite3_stmt *s;
	size_t cap = 0;

	memset(hh, 0, sizeof(*hh));
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT DISTINCT report_id "
	    "FROM status_history ORDER BY report_id", -1, &s, NULL) !=
	    SQLITE_OK)
		die("cannot read the status history");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (hh->nids == cap && (hh->ids = reallocarray(hh->ids,
		    cap = cap ? cap * 2 : 64, sizeof(*hh->ids))) == NULL)
			die("out of memory");
		hh->ids[hh->nids++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	cap = 0;
	/* The ref is at bytes 55-66 of an event (docs/FORMATS.md 9). */
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT DISTINCT CAST("
	    "substr(body, 55, 12) AS TEXT) AS r FROM events ORDER BY r", -1,
	    &s, NULL) != SQLITE_OK)
		die("cannot read the events");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != REF_LEN)
			continue;
		if (hh->nrefs == cap && (hh->refs = reallocarray(hh->refs,
		    cap = cap ? cap * 2 : 64, sizeof(*hh->refs))) == NULL)
			die("out of memory");
		memcpy(hh->refs[hh->nrefs], sqlite3_column_text(s, 0), REF_LEN);
		hh->refs[hh->nrefs++][REF_LEN] = '\0';
	}
	sqlite3_finalize(s);
	/* SQLite's order is by bytes, as strcmp's; sorted again anyway,
	 * since bsearch depends on it. */
	if (hh->nrefs > 0)	/* qsort's base must not be NULL */
		qsort(hh->refs, hh->nrefs, sizeof(*hh->refs), cmp_ref);
}

static int
has_hist(const struct has_hist *hh, const struct store_row *row)
{
	/* bsearch's base must not be NULL, even for no elements. */
	return (hh->nids > 0 && bsearch(&row->id, hh->ids, hh->nids,
	    sizeof(*hh->ids), cmp_id) != NULL) || (hh->nrefs > 0 &&
	    bsearch(row->ref, hh->refs, hh->nrefs, sizeof(*hh->refs),
	    cmp_ref) != NULL);
}

/* The notes, one line each: "DAY STATUS by AUTHOR: NOTE". */
static char *
notes_text(json_t *hist)
{
	struct buf b;
	json_t *h;
	size_t i;

	buf_init(&b, 0);
	json_array_foreach(hist, i, h) {
		const char *note = json_string_value(json_object_get(h, "note"));
		const char *day = json_string_value(json_object_get(h, "day"));
		const char *st = json_string_value(json_object_get(h, "status"));
		const char *who = json_string_value(json_object_get(h, "author"));

		if (note == NULL)
			continue;
		if (b.len > 0)
			buf_str(&b, "\n");
		buf_str(&b, day ? day : "?");
		buf_str(&b, " ");
		buf_str(&b, st ? st : "note");
		if (who != NULL) {
			buf_str(&b, " by ");
			buf_str(&b, who);
		}
		buf_str(&b, ": ");
		buf_str(&b, note);
	}
	buf_add(&b, "", 1);
	if (b.failed)
		die("out of memory");
	return b.p;
}

/* The case columns of one report: status_day to notes. */
static void
csv_case(struct reader *rd, struct export *ex, const struct store_row *row)
{
	struct summary sum;
	json_t *hist = NULL;
	char *notes = NULL;

	memset(&sum, 0, sizeof(sum));
	if (has_hist(&ex->hh, row)) {
		hist = history_json(rd, row);
		case_summary(hist, &sum);
		if (ex->notes)
			notes = notes_text(hist);
	}
	csv_field(ex->f, sum.status_day ? sum.status_day : "", ex->raw, 0);
	csv_field(ex->f, sum.decided_by ? sum.decided_by : "", ex->raw, 0);
	csv_field(ex->f, sum.routed_to ? sum.routed_to : "", ex->raw, 0);
	csv_field(ex->f, sum.routed_day ? sum.routed_day : "", ex->raw, 0);
	csv_field(ex->f, notes ? notes : "", ex->raw, 0);
	if (notes != NULL) {
		sodium_memzero(notes, strlen(notes));
		free(notes);
	}
	json_decref(hist);
}

static int
export_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	struct export *ex = rd->ctx;
	char form[16], letters[33];
	size_t i;

	if (!ex->csv) {
		json_report(rd, row, rec, ex->f);
		return 0;
	}
	snprintf(form, sizeof(form), "%d", rec->form);
	flag_letters(rd->flags, letters);
	csv_field(ex->f, row->ref, ex->raw, 0);
	csv_field(ex->f, row->day, ex->raw, 0);
	csv_field(ex->f, row->status, ex->raw, 0);
	csv_field(ex->f, rec->lang, ex->raw, 0);
	csv_field(ex->f, form, ex->raw, 0);
	csv_field(ex->f, letters, ex->raw, 0);
	csv_case(rd, ex, row);
	for (i = 0; i < nfields; i++)
		csv_field(ex->f, rec->value[i] ? rec->value[i] : "", ex->raw,
		    i + 1 == nfields);
	return 0;
}

/* The export file while it is written. Preferably an O_TMPFILE: it
 * has no name until it is complete, so a signal or a crash cannot
 * leave decrypted reports behind. On a file system that refuses
 * O_TMPFILE, a named temporary file that die() and the signal
 * handler remove. */
struct outfile {
	FILE	*f;
	int	 anon;		/* O_TMPFILE, not yet linked */
	char	 tmp[4096];	/* a name beside the target */
};

/* The named temporary file, for the signal handler. */
static char sig_unlink[4096];

static void
on_signal(int sig)
{
	if (sig_unlink[0] != '\0')
		unlink(sig_unlink);
	/* Dies of the same signal, with its exit status, once the
	 * handler returns. */
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

static void
block_signals(int block, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(block ? SIG_BLOCK : SIG_SETMASK, block ? &set : old,
	    block ? old : NULL);
}

/* A named temporary file beside the target, mode 0600 (mkstemp),
 * removed on HUP, INT and TERM. */
static int
open_named(struct outfile *out, const char *dir, const char *path)
{
	struct sigaction sa;
	sigset_t old;
	int fd, i;
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, NULL);
	if (snprintf(out->tmp, sizeof(out->tmp), "%s/.tipline-export-XXXXXX",
	    dir) >= (int)sizeof(out->tmp))
		die("%s: the path is too long", path);
	block_signals(1, &old);
	if ((fd = mkstemp(out->tmp)) >= 0) {
		memcpy(sig_unlink, out->tmp, sizeof(sig_unlink));
		die_unlink = out->tmp;
	}
	block_signals(0, &old);
	if (fd < 0)
		die("cannot create a file beside %s: %s", path,
		    strerror(errno));
	return fd;
}

static void
open_out(struct outfile *out, const char *path)
{
	char *copy = strdup(path), dir[4096];
	int fd;

	if (copy == NULL)
		die("out of memory");
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	free(copy);
	out->anon = 1;
	if ((fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) < 0) {
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			die("cannot create a file in %s: %s", dir,
			    strerror(errno));
		out->anon = 0;
		fd = open_named(out, dir, path);
	} else if (snprintf(out->tmp, sizeof(out->tmp),
	    "%s/.tipline-export-XXXXXX", dir) >= (int)sizeof(out->tmp))
		die("%s: the path is too long", path);
	if ((out->f = fdopen(fd, "w")) == NULL)
		die("out of memory");
}

/* Gives the O_TMPFILE the name out->tmp (random, beside the target). */
static int
link_anon(struct outfile *out, const char *name)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(out->f));
	return linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
}

static int
link_anon_temp(struct outfile *out)
{
	static const char az[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = strlen(out->tmp), i;
	int tries;

	for (tries = 0; tries < 16; tries++) {
		for (i = n - 6; i < n; i++)
			out->tmp[i] = az[randombytes_uniform(sizeof(az) - 1)];
		if (link_anon(out, out->tmp) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* Puts the finished file in place: linked to path (never replacing
 * one), or with --force renamed over it. Signals wait meanwhile, so
 * that the temporary name never outlives the command. */
static void
commit_file(struct outfile *out, const char *path, int force)
{
	int bad = fflush(out->f) != 0 || ferror(out->f) ||
	    fsync(fileno(out->f)) != 0, rc, e;
	sigset_t old;

	if (bad)
		die("cannot write %s: %s", path, strerror(errno));
	block_signals(1, &old);
	if (out->anon && !force)
		rc = link_anon(out, path);
	else if (out->anon)
		rc = link_anon_temp(out) == 0 && rename(out->tmp, path) == 0 ?
		    0 : -1;
	else
		rc = force ? rename(out->tmp, path) : link(out->tmp, path);
	e = errno;
	if (rc != 0 && out->anon && force)
		unlink(out->tmp);
	if (!out->anon && !force && rc == 0)
		unlink(out->tmp);
	block_signals(0, &old);
	if (rc != 0) {
		if (e == EEXIST)
			die("%s exists; use --force to replace it", path);
		die("cannot create %s: %s", path, strerror(e));
	}
	die_unlink = NULL;
	sig_unlink[0] = '\0';
	if (fclose(out->f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

int
cmd_export(struct opts *o)
{
	struct export ex;
	struct outfile out;
	struct reader rd;
	int rc;

	if (o->nargs != 0)
		usage_error("export takes no arguments");
	if (o->format != NULL && strcmp(o->format, "csv") != 0 &&
	    strcmp(o->format, "json") != 0)
		usage_error("--format takes csv or json");
	memset(&ex, 0, sizeof(ex));
	ex.f = stdout;
	ex.csv = o->format == NULL || strcmp(o->format, "csv") == 0;
	ex.raw = o->raw;
	ex.notes = o->with_notes;
	if (o->with_notes && !ex.csv)
		usage_error("--with-notes applies to CSV (JSON lines carry the "
		    "history with its notes)");
	if (o->raw && !ex.csv)
		usage_error("--raw applies to CSV only");
	if (o->out != NULL && !o->force && access(o->out, F_OK) == 0)
		die("%s exists; use --force to replace it", o->out);
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	key_unlock(o, &rd.key);
	if (o->out != NULL) {
		open_out(&out, o->out);
		ex.f = out.f;
	}
	else if (isatty(STDOUT_FILENO))
		warnx_("this is decrypted report text; keep it off shared "
		    "screens and out of terminal logs");
	rd.emit = export_row;
	rd.ctx = &ex;
	if (ex.csv)
		load_has_hist(rd.st, &ex.hh);
	if (ex.csv)
		csv_header(ex.f);
	rc = reader_run(&rd, NULL);
	reader_done(&rd);
	free(ex.hh.ids);
	free(ex.hh.refs);
	if (rc != 0)
		die("cannot read the database");
	if (o->out != NULL)
		commit_file(&out, o->out, o->force);
	else if (fflush(stdout) != 0)
		die("cannot write the export: %s", strerror(errno));
	if (rd.bad)
		warnx_("%d report%s could not be opened and %s not exported",
		    rd.bad, rd.bad == 1 ? "" : "s", rd.bad == 1 ? "is" : "are");
	return rd.bad ? EXIT_FAIL : 0;
}
