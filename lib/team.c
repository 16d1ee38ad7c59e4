/*
 * Identities and the team file (docs/FORMATS.md section 8). The team
 * file is the trust anchor of every signature check, so its parser is
 * strict: one exact line format, no duplicate key or name, a key id that
 * must match its key.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "team.h"
#include "utf8.h"

_Static_assert(SIGN_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "sign pk");
_Static_assert(SIGN_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sign sk");
_Static_assert(SIGN_SEED_BYTES == crypto_sign_SEEDBYTES, "sign seed");

#define B64_32	44	/* base64 of 32 bytes, with its one '=' */

/* Characters a name must not hold: they would let a name look like
 * another on a terminal, or act on it. */
static int
name_char_bad(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x206f) || cp == 0x061c || cp == 0xfeff;
}

int
identity_name_ok(const char *name, size_t n)
{
	const unsigned char *u = (const unsigned char *)name;
	size_t i = 0, k, cnt = 0;
	uint32_t cp;

	if (n == 0 || n > MAX_NAME_BYTES || name[0] == ' ' ||
	    name[n - 1] == ' ')
		return 0;
	while (i < n) {
		if ((k = utf8_next(u + i, n - i, &cp)) == 0 || name_char_bad(cp))
			return 0;
		i += k;
		cnt++;
	}
	return cnt <= MAX_NAME;
}

/* Decodes exactly B64_32 characters of base64 into 32 bytes. */
static int
b64_32(const char *s, unsigned char out[32])
{
	size_t got;

	return sodium_base642bin(out, 32, s, B64_32, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 && got == 32 ? 0 : -1;
}

enum kf_err
identity_parse(const char *s, size_t n, struct identity *id)
{
	/* "TLID1 " 16 hex ' ' 44 ' ' 44 ' ' name */
	const size_t head = 5 + 1 + 16 + 1 + B64_32 + 1 + B64_32 + 1;
	unsigned char kid[KEY_ID_BYTES];
	size_t got;

	memset(id, 0, sizeof(*id));
	if (n <= head || memcmp(s, ID_TAG " ", 6) != 0 || s[22] != ' ' ||
	    s[23 + B64_32] != ' ' || s[head - 1] != ' ')
		return KF_E_FORMAT;
	if (sodium_hex2bin(id->box.id, KEY_ID_BYTES, s + 6, 16, NULL, &got,
	    NULL) != 0 || got != KEY_ID_BYTES ||
	    b64_32(s + 23, id->box.pk) != 0 ||
	    b64_32(s + 24 + B64_32, id->sign) != 0)
		return KF_E_FORMAT;
	if (!identity_name_ok(s + head, n - head))
		return KF_E_NAME;
	memcpy(id->name, s + head, n - head);
	id->name[n - head] = '\0';
	key_id(id->box.pk, kid);
	return sodium_memcmp(kid, id->box.id, KEY_ID_BYTES) == 0 ? KF_OK :
	    KF_E_KEYID;
}

void
identity_format(const struct identity *id, char *out, size_t outlen)
{
	char hex[2 * KEY_ID_BYTES + 1], box[B64_32 + 1], sign[B64_32 + 1];

	sodium_bin2hex(hex, sizeof(hex), id->box.id, KEY_ID_BYTES);
	sodium_bin2base64(box, sizeof(box), id->box.pk, PK_BYTES,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(sign, sizeof(sign), id->sign, SIGN_PK_BYTES,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, outlen, "%s %s %s %s %s", ID_TAG, hex, box, sign,
	    id->name);
}

void
keyfile_identity(const struct seckey *key, struct identity *id)
{
	memset(id, 0, sizeof(*id));
	id->box = key->pub;
	memcpy(id->sign, key->sign_pk, SIGN_PK_BYTES);
	snprintf(id->name, sizeof(id->name), "%s", key->name);
}

/* 1 if id shares a key id, a signing key or a name with a member. */
static int
is_dup(const struct team *t, const struct identity *id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (memcmp(t->m[i].box.id, id->box.id, KEY_ID_BYTES) == 0 ||
		    memcmp(t->m[i].box.pk, id->box.pk, PK_BYTES) == 0 ||
		    memcmp(t->m[i].sign, id->sign, SIGN_PK_BYTES) == 0 ||
		    strcmp(t->m[i].name, id->name) == 0)
			return 1;
	return 0;
}

static enum kf_err
classify_line(const char *s, size_t len)
{
	if (len >= 5 && (memcmp(s, SK_TAG, 5) == 0 ||
	    memcmp(s, SK2_TAG, 5) == 0))
		return KF_E_SECRET;
	if (len >= 5 && memcmp(s, PK_TAG, 5) == 0)
		return KF_E_V1;
	return KF_OK;
}

enum kf_err
team_parse(const char *text, size_t n, struct team *t, size_t *line)
{
	struct identity id;
	const char *s;
	size_t pos = 0, len;
	enum kf_err e;
	int r;

	memset(t, 0, sizeof(*t));
	*line = 0;
	while ((r = keyfile_next_line(text, n, &pos, line, &s, &len)) != 0) {
		if (r < 0)
			return KF_E_FORMAT;
		if ((e = classify_line(s, len)) != KF_OK)
			return e;
		if (t->n == MAX_TEAM)
			return KF_E_TOO_MANY;
		if ((e = identity_parse(s, len, &id)) != KF_OK)
			return e;
		if (is_dup(t, &id))
			return KF_E_DUP;
		t->m[t->n++] = id;
	}
	if (t->n == 0) {
		*line = 0;
		return KF_E_EMPTY;
	}
	return KF_OK;
}

const struct identity *
team_find(const struct team *t, const unsigned char id[KEY_ID_BYTES])
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (memcmp(t->m[i].box.id, id, KEY_ID_BYTES) == 0)
			return &t->m[i];
	return NULL;
}

void
team_recipients(const struct team *t, struct recipients *rc)
{
	size_t i;

	memset(rc, 0, sizeof(*rc));
	for (i = 0; i < t->n; i++)
		rc->k[rc->n++] = t->m[i].box;
}
