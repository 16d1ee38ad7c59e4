/*
 * Small helpers shared by the server and the CLI: the day (UTC) that is
 * the only time tipline keeps, a growable buffer, and the server secret.
 */
#ifndef TIPLINE_UTIL_H
#define TIPLINE_UTIL_H

#include <stddef.h>
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

#endif
