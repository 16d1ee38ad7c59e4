/*
 * Events v1: the case record (docs/FORMATS.md section 9). Every status
 * change, note, routing decision, assignment, grant and purge is an
 * event signed by its author's Ed25519 key, numbered per author and
 * chained by hash to the author's previous event, with a clear part the
 * server acts on (the coarse status, a purge) and a sealed part (an
 * envelope v1 to the team). Parsing is pure and checks only the bytes;
 * event_verify checks the signature against a key from the team file.
 */
#ifndef TIPLINE_EVENT_H
#define TIPLINE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "keyfile.h"

#define EVENT_MAGIC	"TLEE"
#define EVENT_VERSION	1
#define EVENT_HASH	32	/* BLAKE2b-32: event ids and chain links */
#define EVENT_SIG	64	/* crypto_sign_BYTES */
#define EVENT_HEAD	81	/* bytes before the sealed part */
#define EVENT_REF	12
#define EVENT_MIN	(EVENT_HEAD + EVENT_SIG)
#define EVENT_MAX	(EVENT_MIN + MAX_EVENT_SEALED)

enum event_type {
	EV_STATUS = 1,	/* the report's status; clear status required */
	EV_NOTE,	/* a note; sealed part required */
	EV_ROUTE,	/* forwarded to a partner; clear status forwarded */
	EV_ASSIGN,	/* assigned to an analyst (sealed: whom) */
	EV_GRANT,	/* content keys sealed to a newcomer; no report */
	EV_PURGE,	/* the report is to be deleted everywhere */
	EV_REPLY,	/* a reply to the reporter, sealed to the receipt too */
};
#define EV_TYPES	7

enum event_err {
	EVENT_OK = 0,
	EVENT_E_FORMAT,		/* truncated, wrong magic, version or size */
	EVENT_E_TYPE,		/* unknown type, or fields that break its rules */
	EVENT_E_CHAIN,		/* seq 1 with a link, or a later one without */
	EVENT_E_SIG,		/* the signature does not verify */
	EVENT_E_NOMEM,
};

/* A parsed event; the pointers point into the bytes it was parsed
 * from, which must outlive it. */
struct event {
	const unsigned char	*raw;
	size_t			 len;
	int			 type;
	unsigned char		 author[KEY_ID_BYTES];
	uint64_t		 seq;
	unsigned char		 prev[EVENT_HASH];
	char			 ref[EVENT_REF + 1];	/* "" for none */
	char			 day[11];
	int			 status;	/* 0 none, else 1 + index */
	const unsigned char	*sealed;
	size_t			 sealedlen;
	const unsigned char	*sig;
};

/* What an author writes; the chain position comes from the author's
 * last event (seq 0 and prev NULL for the first). */
struct event_new {
	int			 type;
	const char		*ref;		/* NULL for a grant */
	const char		*day;
	int			 status;
	const char		*plain;		/* sealed JSON; NULL for none */
	const struct recipients	*to;		/* whom the sealed part is for */
	uint64_t		 last_seq;
	const unsigned char	*last_id;	/* EVENT_HASH bytes or NULL */
};

enum event_err	event_parse(const unsigned char *p, size_t n, struct event *);
enum event_err	event_verify(const struct event *,
		    const unsigned char sign_pk[32]);
/* The event's id: BLAKE2b-32 of all its bytes. */
void		event_id(const unsigned char *p, size_t n,
		    unsigned char id[EVENT_HASH]);
/* 1 if ev is the next event of its author after the one with this seq
 * and id (seq 0 and id NULL: none yet). */
int		event_follows(const struct event *, uint64_t last_seq,
		    const unsigned char *last_id);
/* Seals, signs and writes an event into *out (malloc'd). */
enum event_err	event_make(const struct event_new *, const struct seckey *,
		    unsigned char **out, size_t *outlen);
/* The associated-data string of an event's sealed part. */
void		event_ad(const struct event *, char *out, size_t outlen);
/* Opens the sealed part into b (as envelope_open_buf). */
enum env_err	event_open(const struct event *, const struct seckey *,
		    struct env_buf *, size_t *ptlen);
/* "new", "in-review", ... for 1..5; NULL otherwise. */
const char	*event_status_name(int);
int		event_status_code(const char *);
const char	*event_type_name(int);
const char	*event_strerror(enum event_err);

#endif
