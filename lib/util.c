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
