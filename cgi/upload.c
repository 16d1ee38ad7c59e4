/*
 * Gathering a multipart/form-data report (cgi/upload.h). Every limit is
 * checked as bytes arrive, so memory stays at the text fields (at most
 * MAX_BODY) plus one read buffer, whatever the files' sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "upload.h"

/* Room for the fields' names and values with their NULs. */
#define UPLOAD_FORM_BUF	(MAX_BODY + MAX_PARTS * (MAX_FIELD_NAME + 2))
#define UPLOAD_READ	(64 * 1024)

static void
refuse(struct upload *u, enum upload_refusal why, const struct upload_file *f)
{
	if (u->refusal != UPLOAD_OK)
		return;		/* the first one is named */
	u->refusal = why;
	multipart_safe_name(f->name, f->namelen, u->refused,
	    sizeof(u->refused));
}

static int
field_begin(struct upload *u, const struct multipart_part *p)
{
	struct form_pair *fp;

	if (u->form.n == MAX_FORM_PAIRS ||
	    u->used + p->namelen + 1 > u->form.bufsize)
		return -1;
	fp = &u->form.pairs[u->form.n];
	fp->name = u->form.buf + u->used;
	memcpy(fp->name, p->name, p->namelen + 1);
	fp->namelen = p->namelen;
	u->used += p->namelen + 1;
	fp->value = u->form.buf + u->used;
	fp->valuelen = 0;
	return 0;
}

static int
on_begin(void *ctx, const struct multipart_part *p)
{
	struct upload *u = ctx;
	struct upload_file *f;

	u->cur = NULL;
	if (!p->is_file)
		return field_begin(u, p);
	if (strcmp(p->name, UPLOAD_FIELD) != 0)
		return -1;
	/* A file past the limit is kept apart, to be named if it has
	 * content (on_data): the browser sends an empty one for an
	 * input left empty. */
	f = u->nfiles < MAX_FILES && u->nfiles < (size_t)u->cfg->max_files ?
	    &u->files[u->nfiles] : &u->extra;
	memset(f, 0, sizeof(*f));
	memcpy(f->name, p->filename, p->filenamelen);
	f->namelen = p->filenamelen;
	u->cur = f;
	return 0;
}

/* The spool: made at a report's first file byte, in the database's
 * directory (the same disk, and the writer can read it), unlinked at
 * once so that nothing is left if the worker dies. */
static int
spool_open(struct upload *u)
{
	char path[CONFIG_PATH_MAX + 32], *slash;

	if (u->spool >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s", u->cfg->database);
	slash = strrchr(path, '/');
	snprintf(slash != NULL ? slash + 1 : path, sizeof(path) -
	    (size_t)(slash != NULL ? slash + 1 - path : 0),
	    ".tipline-spool-XXXXXX");
	if ((u->spool = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	return 0;
}

static int
spool_write(void *ctx, uint32_t chunkno, const unsigned char *ct, size_t n)
{
	struct upload *u = ctx;
	ssize_t w;

	(void)chunkno;
	while (n > 0) {
		if ((w = write(u->spool, ct, n)) <= 0)
			return -1;
		ct += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sealing stops at the first refusal: nothing of this report will be
 * stored, so nothing more is encrypted. */
static void
seal_data(struct upload *u, struct upload_file *f, const unsigned char *d,
    size_t n)
{
	if (u->refusal != UPLOAD_OK || u->spool_failed)
		return;
	if (f->seal == NULL && (spool_open(u) != 0 ||
	    (f->seal = attach_seal_new(u->ref, (unsigned)(f - u->files),
	    spool_write, u)) == NULL)) {
		u->spool_failed = 1;
		return;
	}
	if (attach_seal_update(f->seal, d, n) != 0)
		u->spool_failed = 1;
}

static void
seal_end(struct upload *u, struct upload_file *f)
{
	if (u->refusal == UPLOAD_OK && !u->spool_failed && f->seal != NULL) {
		if (attach_seal_final(f->seal, f->kind, f->name, f->namelen,
		    f->head, &f->headlen) != 0)
			u->spool_failed = 1;
		f->nchunks = (uint32_t)(attach_bucket(f->size) / ATTACH_CHUNK);
	}
	attach_seal_free(f->seal);
	f->seal = NULL;
}

int
upload_failed(const struct upload *u)
{
	return u->spool_failed;
}

static void
sniff(struct upload *u, struct upload_file *f)
{
	f->kind = filekind_sniff(f->first, f->nfirst);
	if (f->kind == FILEKIND_NONE)
		refuse(u, UPLOAD_KIND, f);
	else if (f->kind == FILEKIND_TEXT)
		filekind_text_feed(&f->text, f->first, f->nfirst);
}

static void
file_data(struct upload *u, struct upload_file *f, const unsigned char *d,
    size_t n)
{
	size_t k;

	if (f == &u->extra) {
		refuse(u, UPLOAD_TOO_MANY, f);
		u->cur = NULL;
		return;
	}
	if (f->size == 0)
		u->nfiles++;	/* its first byte: not an empty input */
	seal_data(u, f, d, n);
	f->size += n;
	u->total += n;
	if (u->total > (uint64_t)u->cfg->max_files_bytes)
		refuse(u, UPLOAD_TOTAL, f);
	if (f->nfirst < FILEKIND_SNIFF) {
		k = FILEKIND_SNIFF - f->nfirst;
		k = k < n ? k : n;
		memcpy(f->first + f->nfirst, d, k);
		f->nfirst += k;
		d += k;
		n -= k;
		if (f->nfirst == FILEKIND_SNIFF)
			sniff(u, f);
	}
	if (f->kind == FILEKIND_TEXT && n > 0)
		filekind_text_feed(&f->text, d, n);
}

static int
on_data(void *ctx, const struct multipart_part *p, const unsigned char *d,
    size_t n)
{
	struct upload *u = ctx;
	struct form_pair *fp;

	if (!p->is_file) {
		fp = &u->form.pairs[u->form.n];
		/* The values within MAX_BODY (the pages' bound, as for an
		 * urlencoded body), and room for a NUL after this one. */
		if (u->values + n > MAX_BODY || u->used + n + 1 >
		    u->form.bufsize)
			return -1;
		u->values += n;
		memcpy(u->form.buf + u->used, d, n);
		u->used += n;
		fp->valuelen += n;
		return 0;
	}
	if (u->cur != NULL)
		file_data(u, u->cur, d, n);
	return 0;
}

static int
on_end(void *ctx, const struct multipart_part *p)
{
	struct upload *u = ctx;
	struct upload_file *f = u->cur;

	if (!p->is_file) {
		u->form.buf[u->used++] = '\0';
		u->form.n++;
		return 0;
	}
	if (f == NULL || f->size == 0)
		return 0;
	if (p->too_large)
		refuse(u, UPLOAD_TOO_LARGE, f);
	if (f->nfirst < FILEKIND_SNIFF)
		sniff(u, f);
	if (f->kind == FILEKIND_TEXT && !filekind_text_end(&f->text))
		refuse(u, UPLOAD_KIND, f);
	seal_end(u, f);
	u->cur = NULL;
	return 0;
}

enum multipart_err
upload_read(struct upload *u, const struct config *cfg, const char *ctype,
    size_t len, int (*rd)(void *, char *, int), void *io)
{
	struct multipart_handler h = { on_begin, on_data, on_end, u };
	struct multipart_limits lim;
	struct multipart *m = NULL;
	enum multipart_err e;
	char *buf = NULL;
	size_t got = 0;
	int n;

	memset(u, 0, sizeof(*u));
	u->cfg = cfg;
	u->spool = -1;
	ref_make(u->ref);
	lim.parts = MAX_PARTS;
	lim.field_bytes = MAX_FIELD_BYTES;
	lim.file_bytes = (uint64_t)cfg->max_file_bytes;
	u->form.bufsize = UPLOAD_FORM_BUF;
	if ((u->form.buf = malloc(u->form.bufsize)) == NULL ||
	    (buf = malloc(UPLOAD_READ)) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL) {
		e = MULTIPART_E_ABORTED;
		goto out;
	}
	if ((e = multipart_init(m, ctype, &lim, &h)) != MULTIPART_OK)
		goto out;
	while (got < len) {
		n = rd(io, buf, (int)(len - got < UPLOAD_READ ? len - got :
		    UPLOAD_READ));
		if (n <= 0) {
			e = MULTIPART_E_TRUNCATED;
			goto out;
		}
		got += (size_t)n;
		if ((e = multipart_feed(m, (unsigned char *)buf, (size_t)n)))
			goto out;
	}
	e = multipart_finish(m);
out:
	if (buf != NULL)
		sodium_memzero(buf, UPLOAD_READ);
	free(buf);
	if (m != NULL)
		sodium_memzero(m, sizeof(*m));
	free(m);
	return e;
}

void
upload_free(struct upload *u)
{
	size_t i;

	for (i = 0; i < MAX_FILES; i++)
		attach_seal_free(u->files[i].seal);
	if (u->spool >= 0)
		close(u->spool);
	u->spool = -1;
	form_free(&u->form);
	sodium_memzero(u->files, sizeof(u->files));
	sodium_memzero(&u->extra, sizeof(u->extra));
	u->nfiles = 0;
}
