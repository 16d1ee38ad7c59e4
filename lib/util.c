/*
 * Helpers. The server secret is raw bytes in a file of exactly 32 bytes;
 * anything else is refused rather than guessed at.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bounds.h"
#include "util.h"

void
day_utc(time_t t, char out[11])
{
	struct tm tm;

	/* A clock past the year 9999 (or a time gmtime cannot represent)
	 * does not fit "YYYY-MM-DD"; strftime would leave out undefined.
	 * Write a day that is plainly not a date rather than garbage. */
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 11, "%Y-%m-%d", &tm) == 0)
		memcpy(out, "0000-00-00", 11);
}

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_add(struct buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return;
	if (n > SIZE_MAX / 2 - b->len || (b->max && b->len + n > b->max)) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < b->len + n + 1; )
			cap *= 2;
		/* Not realloc: it would free the old block unwiped, and a
		 * page may hold what a reporter typed. */
		if ((p = malloc(cap)) == NULL) {
			b->failed = 1;
			return;
		}
		if (b->p != NULL) {
			memcpy(p, b->p, b->len + 1);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_free(struct buf *b)
{
	if (b->p != NULL)
		sodium_memzero(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
secret_create(const char *path, unsigned char out[32], char *err,
    size_t errlen)
{
	int fd;

	randombytes_buf(out, 32);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (write(fd, out, 32) != 32 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int
secret_load_or_create(const char *path, unsigned char out[32], char *err,
    size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return secret_create(path, out, err, errlen);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0 ||
	    st.st_size != 32 || read(fd, out, 32) != 32) {
		snprintf(err, errlen, "%s must be a 32-byte file readable by "
		    "its owner only (mode 0600); remove it to make a new one",
		    path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

uint64_t
be_get(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void
be_put(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

int
kv_split(char *line, char **key, char **val)
{
	char *eq = strchr(line, '='), *e;

	if (eq == NULL)
		return -1;
	*eq = '\0';
	*key = line + strspn(line, " \t");
	for (e = eq; e > *key && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	*val = eq + 1 + strspn(eq + 1, " \t");
	for (e = *val + strlen(*val); e > *val && (e[-1] == ' ' ||
	    e[-1] == '\t' || e[-1] == '\r'); e--)
		e[-1] = '\0';
	return **key == '\0' || **val == '\0' ? -1 : 0;
}

int
day_valid(const unsigned char *d)
{
	int i;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? d[i] != '-' : (d[i] < '0' ||
		    d[i] > '9'))
			return 0;
	return 1;
}

size_t
lines_each(const char *text, size_t n,
    int (*fn)(char *line, void *ctx, char *err, size_t errlen),
    void *ctx, char *err, size_t errlen)
{
	char line[MAX_LINE + 1];
	size_t pos = 0, lineno = 0, len;
	const char *nl;

	while (pos < n) {
		lineno++;
		nl = memchr(text + pos, '\n', n - pos);
		len = nl ? (size_t)(nl - (text + pos)) : n - pos;
		if (len > MAX_LINE || memchr(text + pos, '\0', len) != NULL) {
			snprintf(err, errlen, "line too long or holds a NUL");
			return lineno;
		}
		memcpy(line, text + pos, len);
		line[len] = '\0';
		pos += len + 1;
		if (fn(line, ctx, err, errlen) != 0)
			return lineno;
	}
	return 0;
}

size_t
lines_last(const char *text, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += text[i] == '\n';
	if (n > 0 && text[n - 1] != '\n')
		k++;
	return k > 0 ? k : 1;
}
