/*
 * A report's attachments on the analyst's side (docs/FORMATS.md section
 * 3b): listed by `show` and `export --format json` (name made safe,
 * kind, size), every chunk authenticated by `verify`, and written by
 * `tipline files REF --extract DIR` under names this tool makes (the
 * file's number and its safe name: no path, no control or
 * bidirectional characters, no leading dot), mode 0600, never over an
 * existing file, and only once every chunk has authenticated. The tool
 * never opens or renders a file: mat2 (Debian package mat2) removes
 * metadata before a file is passed on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "attach.h"
#include "cli.h"
#include "multipart.h"

#define SAFE_NAME	200	/* bytes of a written file's safe name */

/* One file of a report, its head opened; h.key is wiped by files_done. */
struct file {
	long long		 id;
	unsigned		 idx;
	uint32_t		 nchunks;
	int			 ok;		/* the head opened */
	struct attach_head	 h;
	char			 safe[SAFE_NAME + 1];
};

struct files {
	struct file	 f[MAX_FILES];
	size_t		 n;
};

static void
head_open(struct reader *rd, const char *ref, const unsigned char *env,
    size_t n, struct file *f)
{
	char href[ATTACH_REF_MAX];
	unsigned char *pt;
	size_t ptlen;

	attach_head_ref(ref, f->idx, href);
	if (envelope_open(env, n, href, rd->key.pub.pk, rd->key.sk, &pt,
	    &ptlen) != ENV_OK)
		return;
	f->ok = attach_head_parse(pt, ptlen, f->idx, &f->h) == ATTACH_OK &&
	    f->h.nchunks == f->nchunks;
	sodium_free(pt);
	if (f->ok)
		multipart_safe_name(f->h.name, f->h.namelen, f->safe,
		    sizeof(f->safe));
}

/* The files of a report, heads opened; -1 on a database error. */
static int
files_load(struct reader *rd, const struct store_row *row, struct files *fs)
{
	sqlite3_stmt *s;
	struct file *f;
	int rc;

	memset(fs, 0, sizeof(*fs));
	if (sqlite3_prepare_v2(store_sqlite(rd->st), "SELECT id, idx, head, "
	    "nchunks FROM attachments WHERE report_id = ? ORDER BY idx", -1,
	    &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, row->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && fs->n < MAX_FILES) {
		f = &fs->f[fs->n++];
		f->id = sqlite3_column_int64(s, 0);
		f->idx = (unsigned)sqlite3_column_int(s, 1);
		f->nchunks = (uint32_t)sqlite3_column_int64(s, 3);
		head_open(rd, row->ref, sqlite3_column_blob(s, 2),
		    (size_t)sqlite3_column_bytes(s, 2), f);
		if (!f->ok)
			rd->bad++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void
files_done(struct files *fs)
{
	sodium_memzero(fs, sizeof(*fs));
}

/* Opens every chunk of f in order; out (if not NULL) gets the file's
 * bytes. ATTACH_OK, or what was wrong, with the chunk in *bad. */
static enum attach_err
file_stream(struct reader *rd, const struct file *f, const char *ref,
    FILE *out, uint32_t *bad)
{
	struct attach_open *o;
	sqlite3_stmt *s;
	const unsigned char *p;
	enum attach_err e = ATTACH_E_TRUNCATED;
	uint32_t next = 0;
	size_t n;

	*bad = 0;
	if ((o = attach_open_new(&f->h, ref)) == NULL)
		return ATTACH_E_NOMEM;
	if (sqlite3_prepare_v2(store_sqlite(rd->st), "SELECT n, data FROM "
	    "attachment_chunks WHERE attachment_id = ? ORDER BY n", -1, &s,
	    NULL) != SQLITE_OK) {
		attach_open_free(o);
		return ATTACH_E_NOMEM;
	}
	sqlite3_bind_int64(s, 1, f->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		*bad = next;
		if ((uint32_t)sqlite3_column_int64(s, 0) != next++) {
			e = ATTACH_E_ORDER;
			goto out;
		}
		e = attach_open_chunk(o, next - 1, sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), &p, &n);
		if (e != ATTACH_OK)
			goto out;
		if (out != NULL && n > 0 && fwrite(p, 1, n, out) != n)
			die("cannot write: %s", strerror(errno));
	}
	*bad = next;
	e = attach_open_end(o);
out:
	sqlite3_finalize(s);
	attach_open_free(o);
	return e;
}

void
files_print(struct reader *rd, const struct store_row *row)
{
	struct files fs;
	size_t i;

	if (files_load(rd, row, &fs) != 0)
		die("cannot read the database");
	if (fs.n > 0)
		fputs("\nFiles:\n", stdout);
	for (i = 0; i < fs.n; i++) {
		if (!fs.f[i].ok) {
			printf("  %u. (does not open with this key)\n",
			    fs.f[i].idx + 1);
			continue;
		}
		printf("  %u. ", fs.f[i].idx + 1);
		safe_write(stdout, fs.f[i].safe, strlen(fs.f[i].safe), 0);
		printf("  %s  %llu bytes\n", filekind_type(fs.f[i].h.kind),
		    (unsigned long long)fs.f[i].h.size);
	}
	files_done(&fs);
}

json_t *
files_json(struct reader *rd, const struct store_row *row)
{
	struct files fs;
	json_t *a;
	size_t i;

	if (files_load(rd, row, &fs) != 0)
		die("cannot read the database");
	if (fs.n == 0) {
		files_done(&fs);
		return NULL;
	}
	a = json_array();
	for (i = 0; i < fs.n; i++)
		json_array_append_new(a, fs.f[i].ok ? json_pack("{s:I, s:s, "
		    "s:s, s:I}", "index", (json_int_t)fs.f[i].idx + 1, "name",
		    fs.f[i].safe, "kind", filekind_type(fs.f[i].h.kind),
		    "size", (json_int_t)fs.f[i].h.size) : json_pack("{s:I, "
		    "s:b}", "index", (json_int_t)fs.f[i].idx + 1, "opens", 0));
	files_done(&fs);
	return a;
}

/* verify: every chunk of every file of the report authenticates. */
void
files_verify(struct reader *rd, const struct store_row *row)
{
	struct files fs;
	enum attach_err e;
	uint32_t bad;
	size_t i;

	if (files_load(rd, row, &fs) != 0)
		die("cannot read the database");
	for (i = 0; i < fs.n; i++) {
		if (!fs.f[i].ok) {
			warnx_("%s: file %u: its head does not open", row->ref,
			    fs.f[i].idx + 1);
			continue;
		}
		if ((e = file_stream(rd, &fs.f[i], row->ref, NULL, &bad)) !=
		    ATTACH_OK) {
			warnx_("%s: file %u, chunk %u: %s", row->ref,
			    fs.f[i].idx + 1, bad, attach_strerror(e));
			rd->bad++;
		}
	}
	files_done(&fs);
}

/* Writes one file to DIR/N-NAME: into a temporary file first, linked
 * to its name only when every chunk authenticated (link() refuses an
 * existing name: nothing is overwritten). */
static void
extract_one(struct reader *rd, const struct store_row *row,
    const struct file *f, const char *dir)
{
	char tmp[4096], final[4096];
	enum attach_err e;
	uint32_t bad;
	FILE *out;
	int fd;

	snprintf(final, sizeof(final), "%s/%u-%s", dir, f->idx + 1, f->safe);
	if (access(final, F_OK) == 0)
		die("%s exists: not overwritten", final);
	snprintf(tmp, sizeof(tmp), "%s/.tipline-extract-XXXXXX", dir);
	if ((fd = mkstemp(tmp)) < 0 || (out = fdopen(fd, "wb")) == NULL)
		die("cannot create a file in %s: %s", dir, strerror(errno));
	die_unlink = tmp;
	e = file_stream(rd, f, row->ref, out, &bad);
	if (e != ATTACH_OK)
		die("%s: file %u, chunk %u: %s; nothing written", row->ref,
		    f->idx + 1, bad, attach_strerror(e));
	if (fflush(out) != 0 || fsync(fd) != 0 || fclose(out) != 0)
		die("cannot write %s: %s", tmp, strerror(errno));
	if (link(tmp, final) != 0)
		die("cannot create %s: %s", final, errno == EEXIST ?
		    "it exists, not overwritten" : strerror(errno));
	unlink(tmp);
	die_unlink = NULL;
	fputs("wrote ", stdout);
	safe_write(stdout, final, strlen(final), 0);
	printf(" (%s, %llu bytes)\n", filekind_type(f->h.kind),
	    (unsigned long long)f->h.size);
}

static int
files_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	struct files fs;
	enum attach_err e;
	uint32_t bad;
	size_t i;

	(void)rec;
	if (rd->o->extract == NULL) {
		files_print(rd, row);
		return 1;
	}
	if (files_load(rd, row, &fs) != 0)
		die("cannot read the database");
	/* Every chunk of every file first: a damaged report gets nothing
	 * written, not its first files. */
	for (i = 0; i < fs.n; i++) {
		if (!fs.f[i].ok)
			die("%s: file %u: its head does not open with this key; "
			    "nothing written", row->ref, fs.f[i].idx + 1);
		if ((e = file_stream(rd, &fs.f[i], row->ref, NULL, &bad)) !=
		    ATTACH_OK)
			die("%s: file %u, chunk %u: %s; nothing written",
			    row->ref, fs.f[i].idx + 1, bad, attach_strerror(e));
	}
	for (i = 0; i < fs.n; i++)
		extract_one(rd, row, &fs.f[i], rd->o->extract);
	files_done(&fs);
	return 1;
}

int
cmd_files(struct opts *o)
{
	struct reader rd;
	const char *ref;
	int rc;

	if (o->nargs != 1)
		usage_error("files takes one reference");
	ref = o->args[0];
	if (!ref_valid(ref, strlen(ref)))
		usage_error("'%s' is not a reference (they look like "
		    "TL-7KQ2-M9XD)", ref);
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	rd.emit = files_row;
	rc = reader_run(&rd, ref);
	reader_done(&rd);
	if (rc < 0)
		die("cannot read the database");
	if (rc == 0)
		die("no report %s", ref);
	return rd.bad ? EXIT_FAIL : 0;
}
