/*
 * Analysts' public identities and the team file (docs/FORMATS.md,
 * section 8). An identity is one line,
 *   "TLID1 <key id, 16 hex> <base64 X25519 key> <base64 Ed25519 key> <name>",
 * the X25519 key to seal to, the Ed25519 key that signs the analyst's
 * events, and the name people read. The team file is such lines and
 * '#' comments, kept by people: on the server it says whom intake seals
 * to and whose events the relay accepts, on a workstation whom the CLI
 * trusts. The parsers are pure (text in, struct out) for the fuzzer.
 */
#ifndef TIPLINE_TEAM_H
#define TIPLINE_TEAM_H

#include <stddef.h>

#include "envelope.h"
#include "keyfile.h"

#define ID_TAG		"TLID1"
#define SIGN_PK_BYTES	32	/* crypto_sign_PUBLICKEYBYTES */
#define SIGN_SK_BYTES	64	/* crypto_sign_SECRETKEYBYTES */
#define MAX_TEAM	MAX_RECIPIENTS

struct identity {
	struct pubkey	box;		/* X25519 key and its key id */
	unsigned char	sign[SIGN_PK_BYTES];	/* Ed25519 */
	char		name[MAX_NAME_BYTES + 1];
};

struct team {
	size_t		n;
	struct identity	m[MAX_TEAM];
};

/* 1 if name[0..n) is a valid analyst name: UTF-8, 1 to MAX_NAME code
 * points and at most MAX_NAME_BYTES bytes, no control, bidi or other
 * invisible formatting characters, no space at either end. */
int		identity_name_ok(const char *name, size_t n);
/* Parses one identity line (without its '\n'). */
enum kf_err	identity_parse(const char *s, size_t n, struct identity *);
void		identity_format(const struct identity *, char *out,
		    size_t outlen);
/* Parses a team file: 1 to MAX_TEAM identity lines; the same key id,
 * signing key or name twice is an error. *line gets the number of the
 * offending line. */
enum kf_err	team_parse(const char *text, size_t n, struct team *,
		    size_t *line);
/* The member with this key id, or NULL. */
const struct identity *team_find(const struct team *,
		    const unsigned char id[KEY_ID_BYTES]);
/* The X25519 keys of the team, in file order, to seal to. */
void		team_recipients(const struct team *, struct recipients *);

#endif
