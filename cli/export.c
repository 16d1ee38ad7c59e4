/*
 * export: the filtered reports, decrypted, as CSV (RFC 4180: a header,
 * CRLF line ends, fields quoted when needed, UTF-8) or JSON lines. To a
 * file, the output is written to a temporary file in the same directory
 * (mode 0600) and linked into place only when complete, so an error
 * never leaves a half-written export, and an existing file is never
 * replaced without --force.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fields.h"

struct export {
	FILE	*f;
	int	 csv;
};

/* One CSV field, quoted when it holds a comma, quote, CR or LF. Text
 * goes out exactly as the reporter wrote it (a spreadsheet user should
 * import it as text: see tipline(1)). */
static void
csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n") == NULL)
		fputs(s, f);
	else {
		fputc('"', f);
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

	fputs("ref,day,status,lang,", f);
	for (i = 0; i < nfields; i++)
		csv_field(f, fields[i].name, i + 1 == nfields);
}

static int
export_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	struct export *ex = rd->ctx;
	size_t i;

	if (!ex->csv) {
		json_report(rd, row, rec, ex->f);
		return 0;
	}
	csv_field(ex->f, row->ref, 0);
	csv_field(ex->f, row->day, 0);
	csv_field(ex->f, row->status, 0);
	csv_field(ex->f, rec->lang, 0);
	for (i = 0; i < nfields; i++)
		csv_field(ex->f, rec->value[i] ? rec->value[i] : "",
		    i + 1 == nfields);
	return 0;
}

/* A temporary file beside path, mode 0600 (mkstemp). */
static FILE *
open_temp(const char *path, char *tmp, size_t cap)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL)
		die("out of memory");
	snprintf(tmp, cap, "%s/.tipline-export-XXXXXX", dirname(copy));
	free(copy);
	if ((fd = mkstemp(tmp)) < 0)
		die("cannot create a file beside %s: %s", path,
		    strerror(errno));
	return fdopen(fd, "w");
}

/* Puts the finished temporary file in place. */
static void
commit_file(FILE *f, const char *tmp, const char *path, int force)
{
	int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;

	if (fclose(f) != 0 || bad)
		die("cannot write %s: %s", path, strerror(errno));
	if (force ? rename(tmp, path) != 0 : link(tmp, path) != 0) {
		int e = errno;

		if (e == EEXIST)
			die("%s exists; use --force to replace it", path);
		die("cannot create %s: %s", path, strerror(e));
	}
	if (!force)
		unlink(tmp);
	die_unlink = NULL;
}

int
cmd_export(struct opts *o)
{
	struct export ex = { stdout, 1 };
	struct reader rd;
	char tmp[4096];
	int rc;

	if (o->nargs != 0)
		usage_error("export takes no arguments");
	if (o->format != NULL && strcmp(o->format, "csv") != 0 &&
	    strcmp(o->format, "json") != 0)
		usage_error("--format takes csv or json");
	ex.csv = o->format == NULL || strcmp(o->format, "csv") == 0;
	if (o->out != NULL && !o->force && access(o->out, F_OK) == 0)
		die("%s exists; use --force to replace it", o->out);
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	key_unlock(o, &rd.key);
	if (o->out != NULL) {
		ex.f = open_temp(o->out, tmp, sizeof(tmp));
		die_unlink = tmp;
	}
	else if (isatty(STDOUT_FILENO))
		warnx_("this is decrypted report text; keep it off shared "
		    "screens and out of terminal logs");
	rd.emit = export_row;
	rd.ctx = &ex;
	if (ex.csv)
		csv_header(ex.f);
	rc = reader_run(&rd, NULL);
	reader_done(&rd);
	if (rc != 0)
		die("cannot read the database");
	if (o->out != NULL)
		commit_file(ex.f, tmp, o->out, o->force);
	else if (fflush(stdout) != 0)
		die("cannot write the export: %s", strerror(errno));
	if (rd.bad)
		warnx_("%d report%s could not be opened and %s not exported",
		    rd.bad, rd.bad == 1 ? "" : "s", rd.bad == 1 ? "is" : "are");
	return rd.bad ? EXIT_FAIL : 0;
}
