/*
 * Request handling, independent of libfcgi: a request is its method,
 * path, query, content headers and a function that reads the body; the
 * response is built whole in a buffer. cgi/main.c connects this to
 * FastCGI; tests and the fuzzer can call it directly.
 */
#ifndef TIPLINE_SERVE_H
#define TIPLINE_SERVE_H

#include <stdint.h>

#include "config.h"
#include "envelope.h"
#include "page.h"
#include "profile.h"
#include "store.h"
#include "token.h"

/* Wrong receipts in the current minute, shared by every worker (an
 * anonymous shared mapping made by the parent; memory only). */
struct guess_count {
	uint32_t	minute;
	uint32_t	failures;
};

struct ctx {
	const struct config	*cfg;
	struct templates	 tmpl;
	struct profile		 prof;		/* the deployment profile */
	struct recipients	 rcpt;
	unsigned char		 secret[TOKEN_KEY];
	struct store		*store;
	/* Group commit (cgi/writer.h); NULL: store_insert on store. */
	struct writer		*writer;
	/* Envelope v2's epoch (lib/envelope.h); NULL: v1. */
	struct seal_epoch	*epoch;
	uint64_t		 (*now)(void);	/* seconds; tests replace it */
	/* NULL: no count (tests that call serve() directly). */
	struct guess_count	*guess;
};

struct req {
	const char	*method;
	const char	*path;
	const char	*query;
	const char	*content_type;
	const char	*content_length;
	/* The browser's Accept-Language (HTTP_ACCEPT_LANGUAGE), or NULL:
	 * it picks the page's language when the reporter chose none. */
	const char	*accept_language;
	/* Reads up to n bytes of body; returns the count, 0 at the end. */
	int		 (*read)(void *io, char *buf, int n);
	void		*io;
};

/* Handles one request; out gets a complete CGI response (RFC 3875
 * section 6: Status and other headers, a blank line, the body). The
 * return value is the HTTP status, for the caller's log line. */
int	serve(struct ctx *, const struct req *, struct buf *out);

#endif
