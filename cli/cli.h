/*
 * The secretariat's tool: shared declarations of its subcommands and
 * the helpers they use (options, passphrase, key, database).
 */
#ifndef TIPLINE_CLI_H
#define TIPLINE_CLI_H

#include <stdio.h>

#include "keyfile.h"
#include "store.h"

struct opts {
	const char	*db, *key, *passfile, *out;
	int		 json;
	char		*args[4];	/* positional arguments */
	int		 nargs;
};

/* Exit codes: 0 success, 1 failure, 2 usage error. */
#define EXIT_USAGE 2

void		 die(const char *fmt, ...) __attribute__((noreturn,
		    format(printf, 1, 2)));
void		 warnx_(const char *fmt, ...) __attribute__((format(printf,
		    1, 2)));
void		 hint(const char *fmt, ...) __attribute__((format(printf, 1,
		    2)));

/* Reads a passphrase (file, or terminal without echo) into sodium
 * memory; twice and compared when confirm is set. */
char		*passphrase_get(const struct opts *, int confirm,
		    size_t *len);
void		 key_unlock(const struct opts *, struct seckey *);
struct store	*db_open(const struct opts *);

int		 cmd_keygen(struct opts *);
int		 cmd_pubkey(struct opts *);
int		 cmd_list(struct opts *);
int		 cmd_show(struct opts *);

/* Writes s[0..n) so that a terminal shows it and does nothing else:
 * control, bidi and invalid bytes become visible escapes. */
void		 safe_write(FILE *, const char *s, size_t n, int multiline);

#endif
