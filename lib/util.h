/*
 * Small helpers shared by the server and the CLI: the day (UTC) that is
 * the only time tipline keeps, a growable buffer, and the server secret.
 */
#ifndef TIPLINE_UTIL_H
#define TIPLINE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

void	day_utc(time_t, char out[11]);

/* A growable buffer. Pages may hold what a reporter typed, so the
 * buffer is wiped whenever it moves and when it is freed. */
struct buf {
	char	*p;
	size_t	 len, cap, max;	/* max: a hard bound; 0 for none */
	int	 failed;	/* an append hit max or ran out of memory */
};

void	buf_init(struct buf *, size_t max);
void	buf_add(struct buf *, const char *, size_t);
void	buf_str(struct buf *, const char *);
void	buf_free(struct buf *);

/* Loads the 32-byte server secret, creating it (O_EXCL, 0600) if the
 * file does not exist. Returns 0, or -1 with a message in err. */
int	secret_load_or_create(const char *path, unsigned char out[32],
	    char *err, size_t errlen);

/* 1 if d[0..10) is a day as tipline writes it, "YYYY-MM-DD" (digits
 * and dashes only; the calendar is not checked). */
int	day_valid(const unsigned char *d);

/* Calls fn on each line of text[0..n) (split at '\n', NUL-terminated,
 * in a buffer of MAX_LINE + 1 bytes) until fn returns non-zero. Returns
 * 0, or the number of the line that failed: too long, holding a NUL
 * (err says so), or refused by fn (which wrote err). The config file and
 * the deployment profile share it. */
size_t	lines_each(const char *text, size_t n,
	    int (*fn)(char *line, void *ctx, char *err, size_t errlen),
	    void *ctx, char *err, size_t errlen);

/* The number of the last line of text[0..n) (1 for an empty text):
 * where an error about the whole file (a key missing) is reported. */
size_t	lines_last(const char *text, size_t n);

/* The big-endian integers of the wire formats (docs/FORMATS.md, the
 * event and the frame): n bytes, 1 <= n <= 8. */
uint64_t	be_get(const unsigned char *p, int n);
void		be_put(unsigned char *p, uint64_t v, int n);

/* Splits a "key = value" line in place, trimming blanks (and a final
 * \r) around both; the config file and the deployment profile share it.
 * Returns 0, or -1 when there is no '=' or either side is empty. */
int	kv_split(char *line, char **key, char **val);

#endif
