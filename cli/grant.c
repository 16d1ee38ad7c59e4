/*
 * Grants (docs/FORMATS.md section 9, type 5): how a newcomer reads the
 * reports that were sealed before they joined. `tipline grant NAME`
 * opens the content key of every report and event sealed part in the
 * case file that the newcomer's key cannot open, and seals the set to
 * the newcomer alone in signed grant events of at most GRANT_KEYS_MAX
 * keys each. On the newcomer's workstation the reader tries those keys
 * when an envelope has no stanza for its key; a key opens only the
 * envelope it was made for (the envelope's associated data binds it to
 * its ref or event), and a grant counts only when its author is in the
 * local team file and its signature holds.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "team.h"

/* "TL-XXXX-XXXX" or an event id in hex, a colon-free JSON key. */
#define NAME_MAX_	(2 * EVENT_HASH)
#define B64_CK		sodium_base64_ENCODED_LEN(CK_BYTES, \
			    sodium_base64_VARIANT_ORIGINAL)

/* An entry's JSON: "name":"base64",  at most 2 + 64 + 3 + 44 + 3. */
_Static_assert(GRANT_KEYS_MAX * 116 + 64 <= MAX_RECORD, "grant size");

struct grant_key {
	char		name[NAME_MAX_ + 1];
	unsigned char	ck[CK_BYTES];
};

struct grants {
	struct grant_key	*k;	/* sodium_malloc'd, sorted by name */
	size_t			 n, cap;
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct grant_key *)a)->name,
	    ((const struct grant_key *)b)->name);
}

static void
grants_add(struct grants *g, const char *name, const unsigned char *ck)
{
	struct grant_key *k;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		if ((k = sodium_malloc(g->cap * sizeof(*k))) == NULL)
			die("out of memory");
		if (g->n > 0)
			memcpy(k, g->k, g->n * sizeof(*k));
		sodium_free(g->k);	/* wipes the old copy */
		g->k = k;
	}
	snprintf(g->k[g->n].name, sizeof(g->k[g->n].name), "%s", name);
	memcpy(g->k[g->n].ck, ck, CK_BYTES);
	g->n++;
}

/* The keys of one opened grant, if it is for this key. */
static void
grant_take(struct grants *g, const char *myhex, json_t *j)
{
	const char *name, *v;
	unsigned char ck[CK_BYTES];
	json_t *keys, *val;
	size_t n;

	v = json_string_value(json_object_get(j, "grantee"));
	keys = json_object_get(j, "keys");
	if (v == NULL || strcmp(v, myhex) != 0 || !json_is_object(keys))
		return;
	json_object_foreach(keys, name, val) {
		v = json_string_value(val);
		if (v == NULL || strlen(name) > NAME_MAX_ ||
		    sodium_base642bin(ck, sizeof(ck), v, strlen(v), NULL, &n,
		    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    n != CK_BYTES)
			continue;
		grants_add(g, name, ck);
	}
	sodium_memzero(ck, sizeof(ck));
}

/* Every grant event in the case file that a team member signed and
 * that opens with this key. */
static void
grants_load(struct reader *rd)
{
	char myhex[2 * KEY_ID_BYTES + 1];
	struct env_buf b = { NULL, 0 };
	const struct identity *m;
	struct event ev;
	struct team t;
	sqlite3_stmt *s;
	json_t *j;
	size_t n;

	if ((rd->grants = calloc(1, sizeof(*rd->grants))) == NULL)
		die("out of memory");
	if (rd->o->db != NULL || case_path(rd->o) == NULL)
		return;		/* grants live in case files */
	team_load(rd->o, &t);
	sodium_bin2hex(myhex, sizeof(myhex), rd->key.pub.id, KEY_ID_BYTES);
	if (sqlite3_prepare_v2(store_sqlite(rd->st), "SELECT body FROM events "
	    "WHERE substr(body, 6, 1) = x'05' ORDER BY id", -1, &s, NULL) !=
	    SQLITE_OK)
		die("cannot read the events");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (event_parse(sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), &ev) != EVENT_OK ||
		    (m = team_find(&t, ev.author)) == NULL ||
		    event_verify(&ev, m->sign) != EVENT_OK ||
		    event_open(&ev, &rd->key, &b, &n) != ENV_OK)
			continue;	/* not ours, or not to be trusted */
		j = json_loadb((const char *)b.p, n, JSON_REJECT_DUPLICATES,
		    NULL);
		if (json_is_object(j))
			grant_take(rd->grants, myhex, j);
		json_decref(j);
	}
	sqlite3_finalize(s);
	env_buf_free(&b);
	if (rd->grants->n > 0)
		qsort(rd->grants->k, rd->grants->n, sizeof(*rd->grants->k),
		    by_name);
}

/* The content key granted under name, or NULL. */
static const unsigned char *
grant_key(struct reader *rd, const char *name)
{
	struct grant_key want, *k;

	if (rd->grants == NULL)
		grants_load(rd);
	if (rd->grants->n == 0 || strlen(name) > NAME_MAX_)
		return NULL;
	memset(&want, 0, sizeof(want));
	snprintf(want.name, sizeof(want.name), "%s", name);
	k = bsearch(&want, rd->grants->k, rd->grants->n, sizeof(want),
	    by_name);
	return k ? k->ck : NULL;
}

enum env_err
grant_open(struct reader *rd, const char *name, const unsigned char *env,
    size_t n, const char *ad, struct env_buf *b, size_t *ptlen)
{
	const unsigned char *ck = grant_key(rd, name);

	return ck ? envelope_open_key(env, n, ad, ck, b, ptlen) : ENV_E_NOKEY;
}

enum env_err
grant_open_event(struct reader *rd, const struct event *ev,
    struct env_buf *b, size_t *ptlen)
{
	unsigned char id[EVENT_HASH];
	char hex[2 * EVENT_HASH + 1], ad[64];

	event_id(ev->raw, ev->len, id);
	sodium_bin2hex(hex, sizeof(hex), id, EVENT_HASH);
	event_ad(ev, ad, sizeof(ad));
	return grant_open(rd, hex, ev->sealed, ev->sealedlen, ad, b, ptlen);
}

void
grants_free(struct reader *rd)
{
	if (rd->grants == NULL)
		return;
	sodium_free(rd->grants->k);
	free(rd->grants);
	rd->grants = NULL;
}

/* What one `tipline grant` is writing. */
struct granting {
	struct reader		*rd;
	struct team		*team;
	const struct identity	*to;
	json_t			*keys;		/* being filled */
	json_t			*chunks;	/* full ones, to write */
	size_t			 events, total, unopened;
};

/* Puts the keys gathered so far aside as one grant's. The events are
 * written once the case file's rows have all been read. */
static void
grant_cut(struct granting *g)
{
	if (json_object_size(g->keys) == 0)
		return;
	json_array_append_new(g->chunks, g->keys);
	g->keys = json_object();
}

/* Seals one set of keys to the newcomer as one grant event. */
static void
grant_write(struct granting *g, json_t *keys)
{
	char hex[2 * KEY_ID_BYTES + 1], *plain;
	struct recipients rc;
	json_t *o;

	sodium_bin2hex(hex, sizeof(hex), g->to->box.id, KEY_ID_BYTES);
	o = json_object();
	json_object_set_new(o, "grantee", json_string(hex));
	json_object_set(o, "keys", keys);
	plain = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (plain == NULL)
		die("out of memory");
	rc.n = 1;
	rc.k[0] = g->to->box;
	case_write_event_to(g->rd->st, g->team, &g->rd->key, EV_GRANT, NULL, 0,
	    plain, &rc);
	record_free_string(plain);
	g->events++;
}

/* Adds the content key of one envelope, unless the newcomer has it. */
static void
grant_one(struct granting *g, const char *name, const unsigned char *env,
    size_t n, const char *ad)
{
	unsigned char ck[CK_BYTES];
	const unsigned char *granted;
	char b64[B64_CK];

	if (envelope_sealed_to(env, n, g->to->box.id))
		return;
	if (envelope_key(env, n, ad, g->rd->key.pub.pk, g->rd->key.sk, ck) !=
	    ENV_OK) {
		if ((granted = grant_key(g->rd, name)) == NULL) {
			g->unopened++;
			return;
		}
		memcpy(ck, granted, CK_BYTES);
	}
	sodium_bin2base64(b64, sizeof(b64), ck, CK_BYTES,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(ck, sizeof(ck));
	json_object_set_new(g->keys, name, json_string(b64));
	sodium_memzero(b64, sizeof(b64));
	g->total++;
	if (json_object_size(g->keys) == GRANT_KEYS_MAX)
		grant_cut(g);
}

/* Every report, then every event's sealed part, in row order. */
static void
grant_all(struct granting *g)
{
	sqlite3 *db = store_sqlite(g->rd->st);
	char hex[2 * EVENT_HASH + 1], ad[64];
	unsigned char id[EVENT_HASH];
	struct event ev;
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "SELECT ref, envelope FROM reports ORDER "
	    "BY id", -1, &s, NULL) != SQLITE_OK)
		die("cannot read the case file");
	while (sqlite3_step(s) == SQLITE_ROW)
		grant_one(g, (const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1),
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT body FROM events ORDER BY id", -1,
	    &s, NULL) != SQLITE_OK)
		die("cannot read the case file");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (event_parse(sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), &ev) != EVENT_OK ||
		    ev.sealedlen == 0 || ev.type == EV_GRANT)
			continue;
		event_id(ev.raw, ev.len, id);
		sodium_bin2hex(hex, sizeof(hex), id, EVENT_HASH);
		event_ad(&ev, ad, sizeof(ad));
		grant_one(g, hex, ev.sealed, ev.sealedlen, ad);
	}
	sqlite3_finalize(s);
}

int
cmd_grant(struct opts *o)
{
	struct granting g;
	struct reader rd;
	struct team t;
	json_t *keys;
	size_t i;

	if (o->nargs != 1)
		usage_error("grant takes the newcomer's name or key id");
	if (o->db != NULL)
		usage_error("a grant is an event: it is written to a case "
		    "file (--case), not to --db");
	team_load(o, &t);
	memset(&g, 0, sizeof(g));
	if ((g.to = team_lookup(&t, o->args[0])) == NULL) {
		hint("add the newcomer's identity line to the team file first");
		die("no analyst '%s' in the local team file", o->args[0]);
	}
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = case_open(o);
	key_unlock(o, &rd.key);
	if (memcmp(g.to->box.id, rd.key.pub.id, KEY_ID_BYTES) == 0)
		usage_error("a grant is for someone else");
	g.rd = &rd;
	g.team = &t;
	g.keys = json_object();
	g.chunks = json_array();
	grant_all(&g);
	grant_cut(&g);
	json_array_foreach(g.chunks, i, keys)
		grant_write(&g, keys);
	json_decref(g.chunks);
	json_decref(g.keys);
	reader_done(&rd);
	if (g.unopened > 0)
		warnx_("%zu sealed item%s did not open with this key and were "
		    "not granted", g.unopened, g.unopened == 1 ? "" : "s");
	printf("granted %zu key%s to ", g.total, g.total == 1 ? "" : "s");
	safe_write(stdout, g.to->name, strlen(g.to->name), 0);
	printf(" in %zu event%s (signed; sent at the next sync)\n", g.events,
	    g.events == 1 ? "" : "s");
	return g.unopened > 0 ? EXIT_FAIL : 0;
}
