/*
 * Events v1 (docs/FORMATS.md section 9). The layout is fixed-width up
 * to the sealed part, so the parser is a handful of exact checks; the
 * signature covers every byte before it, the clear part included, so
 * the server can act on the clear part and still cannot change it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "event.h"
#include "store.h"
#include "status.h"
#include "util.h"

_Static_assert(EVENT_SIG == crypto_sign_BYTES, "signature size");
_Static_assert(EVENT_REF == REF_LEN, "reference size");

static const char *const types[EV_TYPES] = {
	"status", "note", "route", "assign", "grant", "purge", "reply"
};

static int
all_zero(const unsigned char *p, size_t n)
{
	return sodium_is_zero(p, n);
}

/* Each type's rules about its report, clear status and sealed part. */
static int
type_ok(const struct event *ev)
{
	int has_ref = ev->ref[0] != '\0';

	switch (ev->type) {
	case EV_STATUS:
		return has_ref && ev->status != 0;
	case EV_NOTE:
	case EV_ASSIGN:
	case EV_REPLY:
		return has_ref && ev->status == 0 && ev->sealedlen > 0;
	case EV_ROUTE:
		return has_ref && ev->status == 3 && ev->sealedlen > 0;
	case EV_GRANT:
		return !has_ref && ev->status == 0 && ev->sealedlen > 0;
	case EV_PURGE:
		return has_ref && ev->status == 0;
	}
	return 0;
}

enum event_err
event_parse(const unsigned char *p, size_t n, struct event *ev)
{
	uint64_t slen;

	memset(ev, 0, sizeof(*ev));
	if (n < EVENT_MIN || n > EVENT_MAX || memcmp(p, EVENT_MAGIC, 4) != 0 ||
	    p[4] != EVENT_VERSION)
		return EVENT_E_FORMAT;
	slen = (uint32_t)be_get(p + 77, 4);
	if (slen > MAX_EVENT_SEALED || n != EVENT_MIN + slen)
		return EVENT_E_FORMAT;
	ev->raw = p;
	ev->len = n;
	ev->type = p[5];
	memcpy(ev->author, p + 6, KEY_ID_BYTES);
	ev->seq = be_get(p + 14, 8);
	memcpy(ev->prev, p + 22, EVENT_HASH);
	if (!all_zero(p + 54, EVENT_REF)) {
		if (!ref_valid((const char *)p + 54, EVENT_REF))
			return EVENT_E_FORMAT;
		memcpy(ev->ref, p + 54, EVENT_REF);
	}
	if (!day_valid(p + 66))
		return EVENT_E_FORMAT;
	memcpy(ev->day, p + 66, 10);
	ev->status = p[76];
	ev->sealedlen = (size_t)slen;
	ev->sealed = slen ? p + EVENT_HEAD : NULL;
	ev->sig = p + EVENT_HEAD + slen;
	if (ev->type < 1 || ev->type > EV_TYPES || ev->status > nstatuses ||
	    !type_ok(ev))
		return EVENT_E_TYPE;
	if (ev->seq == 0 || (ev->seq == 1) != all_zero(ev->prev, EVENT_HASH))
		return EVENT_E_CHAIN;
	return EVENT_OK;
}

enum event_err
event_verify(const struct event *ev, const unsigned char sign_pk[32])
{
	return crypto_sign_verify_detached(ev->sig, ev->raw,
	    ev->len - EVENT_SIG, sign_pk) == 0 ? EVENT_OK : EVENT_E_SIG;
}

void
event_id(const unsigned char *p, size_t n, unsigned char id[EVENT_HASH])
{
	crypto_generichash(id, EVENT_HASH, p, n, NULL, 0);
}

int
event_follows(const struct event *ev, uint64_t last_seq,
    const unsigned char *last_id)
{
	if (ev->seq != last_seq + 1)
		return 0;
	if (last_seq == 0)
		return all_zero(ev->prev, EVENT_HASH);
	return last_id != NULL && sodium_memcmp(ev->prev, last_id,
	    EVENT_HASH) == 0;
}

/* "<ref>/event/<author hex>/<seq>", "-" for no report. */
static void
make_ad(const char *ref, const unsigned char *author, uint64_t seq,
    char *out, size_t outlen)
{
	char hex[2 * KEY_ID_BYTES + 1];

	sodium_bin2hex(hex, sizeof(hex), author, KEY_ID_BYTES);
	snprintf(out, outlen, "%s/event/%s/%llu", ref && *ref ? ref : "-",
	    hex, (unsigned long long)seq);
}

void
event_ad(const struct event *ev, char *out, size_t outlen)
{
	make_ad(ev->ref, ev->author, ev->seq, out, outlen);
}

/* The fixed-width head of a new event, into p[0..EVENT_HEAD). */
static void
write_head(unsigned char *p, const struct event_new *in,
    const struct seckey *key, size_t slen)
{
	/* Bytes, not a string: no NUL is wanted after them.
	 * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(p, EVENT_MAGIC, 4);
	p[4] = EVENT_VERSION;
	p[5] = (unsigned char)in->type;
	memcpy(p + 6, key->pub.id, KEY_ID_BYTES);
	be_put(p + 14, in->last_seq + 1, 8);
	if (in->last_id != NULL)
		memcpy(p + 22, in->last_id, EVENT_HASH);
	else
		memset(p + 22, 0, EVENT_HASH);
	memset(p + 54, 0, EVENT_REF);
	if (in->ref != NULL)
		memcpy(p + 54, in->ref, EVENT_REF);
	memcpy(p + 66, in->day, 10);
	p[76] = (unsigned char)in->status;
	be_put(p + 77, slen, 4);
}

enum event_err
event_make(const struct event_new *in, const struct seckey *key,
    unsigned char **out, size_t *outlen)
{
	unsigned char *env = NULL, *p = NULL;
	size_t envlen = 0;
	struct event check;
	char ad[64];
	enum event_err e = EVENT_E_FORMAT;

	if (key->sign_sk == NULL || (in->ref != NULL &&
	    !ref_valid(in->ref, strlen(in->ref))) || in->day == NULL ||
	    strlen(in->day) != 10)
		return e;
	make_ad(in->ref, key->pub.id, in->last_seq + 1, ad, sizeof(ad));
	if (in->plain != NULL && (in->to == NULL || envelope_seal(in->to, ad,
	    (const unsigned char *)in->plain, strlen(in->plain), &env,
	    &envlen) != 0))
		goto out;
	e = EVENT_E_NOMEM;
	if ((p = malloc(EVENT_MIN + envlen)) == NULL)
		goto out;
	write_head(p, in, key, envlen);
	if (envlen > 0)
		memcpy(p + EVENT_HEAD, env, envlen);
	crypto_sign_detached(p + EVENT_HEAD + envlen, NULL, p,
	    EVENT_HEAD + envlen, key->sign_sk);
	/* What we write must be what every reader accepts. */
	if ((e = event_parse(p, EVENT_MIN + envlen, &check)) != EVENT_OK)
		goto out;
	*out = p;
	*outlen = EVENT_MIN + envlen;
	p = NULL;
out:
	free(env);
	free(p);
	return e;
}

enum env_err
event_open(const struct event *ev, const struct seckey *key,
    struct env_buf *b, size_t *ptlen)
{
	char ad[64];

	if (ev->sealedlen == 0)
		return ENV_E_FORMAT;
	event_ad(ev, ad, sizeof(ad));
	return envelope_open_buf(ev->sealed, ev->sealedlen, ad, key->pub.pk,
	    key->sk, b, ptlen);
}

const char *
event_status_name(int code)
{
	return code >= 1 && code <= nstatuses ? status_table[code - 1].name :
	    NULL;
}

int
event_status_code(const char *s)
{
	return s != NULL ? status_index(s) + 1 : 0;
}

const char *
event_type_name(int t)
{
	return t >= 1 && t <= EV_TYPES ? types[t - 1] : "?";
}

const char *
event_strerror(enum event_err e)
{
	switch (e) {
	case EVENT_OK:		return "ok";
	case EVENT_E_FORMAT:	return "not a tipline event v1";
	case EVENT_E_TYPE:	return "an event that breaks its type's rules";
	case EVENT_E_CHAIN:	return "an event with a broken chain link";
	case EVENT_E_SIG:	return "the signature does not verify";
	case EVENT_E_NOMEM:	return "out of memory";
	}
	return "unknown error";
}
