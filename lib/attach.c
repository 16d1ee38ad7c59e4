/*
 * Sealing and opening attachments (lib/attach.h; byte layouts in
 * docs/FORMATS.md section 3b). libsodium's secretstream does the
 * cryptography: its per-message counter keeps chunks in order within a
 * file, its FINAL tag marks the end, and our associated data binds each
 * chunk to its report, file and position, so that a chunk moved to
 * another place does not open there.
 */
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "util.h"

typedef crypto_secretstream_xchacha20poly1305_state stream_state;

#define TAG_MESSAGE	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL	crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define AD_MAX		(10 + ATTACH_REF_MAX)

struct attach_seal {
	stream_state	 st;
	unsigned char	 key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char	 header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char	 buf[ATTACH_CHUNK];
	unsigned char	 ct[ATTACH_CHUNK_CT];
	size_t		 nbuf;
	uint64_t	 size;
	uint32_t	 chunkno;
	char		 ref[ATTACH_REF_MAX];
	unsigned	 index;
	attach_emit	 emit;
	void		*ctx;
};

struct attach_open {
	stream_state		 st;
	struct attach_head	 h;
	char			 ref[ATTACH_REF_MAX];
	uint32_t		 next;
	int			 final;
	unsigned char		 pt[ATTACH_CHUNK];
};

uint64_t
attach_bucket(uint64_t size)
{
	uint64_t b = ATTACH_CHUNK;

	while (b <= size)
		b *= 2;
	return b;
}

void
attach_head_ref(const char *ref, unsigned index, char out[ATTACH_REF_MAX])
{
	snprintf(out, ATTACH_REF_MAX, "%s/%u", ref, index);
}

/* AD = "TLFC" | version | index | chunk number (4, big-endian) | ref */
static size_t
chunk_ad(unsigned char ad[AD_MAX], const char *ref, unsigned index,
    uint32_t chunkno)
{
	size_t rl = strlen(ref);

	/* Bytes, not strings: no NUL is wanted after them.
	 * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(ad, "TLFC", 4);
	ad[4] = ATTACH_VERSION;
	ad[5] = (unsigned char)index;
	be_put(ad + 6, chunkno, 4);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(ad + 10, ref, rl);
	return 10 + rl;
}

struct attach_seal *
attach_seal_new(const char *ref, unsigned index, attach_emit emit,
    void *ctx)
{
	struct attach_seal *s;

	if (strlen(ref) > ATTACH_REF_MAX - 5 || index >= MAX_FILES ||
	    (s = sodium_malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	memcpy(s->ref, ref, strlen(ref) + 1);
	s->index = index;
	s->emit = emit;
	s->ctx = ctx;
	crypto_secretstream_xchacha20poly1305_keygen(s->key);
	crypto_secretstream_xchacha20poly1305_init_push(&s->st, s->header,
	    s->key);
	return s;
}

static int
push(struct attach_seal *s, unsigned char tag)
{
	unsigned char ad[AD_MAX];
	unsigned long long clen;
	size_t adlen = chunk_ad(ad, s->ref, s->index, s->chunkno);

	crypto_secretstream_xchacha20poly1305_push(&s->st, s->ct, &clen,
	    s->buf, ATTACH_CHUNK, ad, adlen, tag);
	return s->emit(s->ctx, s->chunkno++, s->ct, (size_t)clen);
}

/* A full chunk of the file is never the last: padding adds at least
 * one byte after it. */
int
attach_seal_update(struct attach_seal *s, const unsigned char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		k = ATTACH_CHUNK - s->nbuf < n ? ATTACH_CHUNK - s->nbuf : n;
		memcpy(s->buf + s->nbuf, p, k);
		s->nbuf += k;
		s->size += k;
		p += k;
		n -= k;
		if (s->nbuf == ATTACH_CHUNK) {
			if (push(s, TAG_MESSAGE) != 0)
				return -1;
			s->nbuf = 0;
		}
	}
	return 0;
}

static void
head_write(const struct attach_seal *s, enum filekind kind, uint32_t total,
    const unsigned char *name, size_t namelen, unsigned char *h)
{
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(h, ATTACH_HEAD_MAGIC, 4);
	h[4] = ATTACH_VERSION;
	h[5] = (unsigned char)kind;
	h[6] = (unsigned char)s->index;
	h[7] = (unsigned char)namelen;
	be_put(h + 8, s->size, 8);
	be_put(h + 16, total, 4);
	memcpy(h + 20, s->key, sizeof(s->key));
	memcpy(h + 52, s->header, sizeof(s->header));
	memcpy(h + ATTACH_HEAD_FIXED, name, namelen);
}

/* ISO/IEC 7816-4 padding to the bucket: 0x80, then zeros, in the chunk
 * in hand and in whole zero chunks after it; the last is FINAL. */
int
attach_seal_final(struct attach_seal *s, enum filekind kind,
    const unsigned char *name, size_t namelen, unsigned char *head,
    size_t *headlen)
{
	uint32_t total = (uint32_t)(attach_bucket(s->size) / ATTACH_CHUNK);

	if (namelen > MAX_FILENAME || kind == FILEKIND_NONE)
		return -1;
	memset(s->buf + s->nbuf, 0, ATTACH_CHUNK - s->nbuf);
	s->buf[s->nbuf] = 0x80;
	while (s->chunkno < total) {
		if (push(s, s->chunkno + 1 == total ? TAG_FINAL :
		    TAG_MESSAGE) != 0)
			return -1;
		memset(s->buf, 0, ATTACH_CHUNK);
	}
	head_write(s, kind, total, name, namelen, head);
	*headlen = ATTACH_HEAD_FIXED + namelen;
	return 0;
}

void
attach_seal_free(struct attach_seal *s)
{
	if (s != NULL)
		sodium_free(s);	/* wipes */
}

enum attach_err
attach_head_parse(const unsigned char *h, size_t n, unsigned index,
    struct attach_head *out)
{
	memset(out, 0, sizeof(*out));
	if (n < ATTACH_HEAD_FIXED || memcmp(h, ATTACH_HEAD_MAGIC, 4) != 0 ||
	    h[4] != ATTACH_VERSION || h[6] != index ||
	    n != ATTACH_HEAD_FIXED + (size_t)h[7])
		return ATTACH_E_HEAD;
	out->kind = (enum filekind)h[5];
	out->index = h[6];
	out->namelen = h[7];
	out->size = be_get(h + 8, 8);
	out->nchunks = (uint32_t)be_get(h + 16, 4);
	if (filekind_type(out->kind) == NULL ||
	    out->size > MAX_FILE_BYTES ||
	    out->nchunks != attach_bucket(out->size) / ATTACH_CHUNK)
		return ATTACH_E_HEAD;
	memcpy(out->key, h + 20, sizeof(out->key));
	memcpy(out->header, h + 52, sizeof(out->header));
	memcpy(out->name, h + ATTACH_HEAD_FIXED, out->namelen);
	out->name[out->namelen] = '\0';
	return ATTACH_OK;
}

struct attach_open *
attach_open_new(const struct attach_head *h, const char *ref)
{
	struct attach_open *o;

	if (strlen(ref) > ATTACH_REF_MAX - 5 ||
	    (o = sodium_malloc(sizeof(*o))) == NULL)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->h = *h;
	memcpy(o->ref, ref, strlen(ref) + 1);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&o->st,
	    o->h.header, o->h.key) != 0) {
		sodium_free(o);
		return NULL;
	}
	return o;
}

/* The padding in the chunk just opened: 0x80 at the file's end, zeros
 * after it. Returns the file's bytes in the chunk. */
static size_t
check_padding(const struct attach_open *o, int *bad)
{
	uint64_t start = (uint64_t)o->next * ATTACH_CHUNK;
	size_t i, data;

	data = o->h.size <= start ? 0 : o->h.size - start >= ATTACH_CHUNK ?
	    ATTACH_CHUNK : (size_t)(o->h.size - start);
	for (i = data; i < ATTACH_CHUNK; i++)
		if (o->pt[i] != (start + i == o->h.size ? 0x80 : 0))
			*bad = 1;
	return data;
}

enum attach_err
attach_open_chunk(struct attach_open *o, uint32_t chunkno,
    const unsigned char *ct, size_t n, const unsigned char **out,
    size_t *outlen)
{
	unsigned char ad[AD_MAX], tag;
	unsigned long long mlen;
	size_t adlen;
	int bad = 0;

	*out = NULL;
	*outlen = 0;
	if (o->final || chunkno != o->next || chunkno >= o->h.nchunks)
		return ATTACH_E_ORDER;
	adlen = chunk_ad(ad, o->ref, o->h.index, chunkno);
	if (n != ATTACH_CHUNK_CT ||
	    crypto_secretstream_xchacha20poly1305_pull(&o->st, o->pt, &mlen,
	    &tag, ct, n, ad, adlen) != 0 || mlen != ATTACH_CHUNK)
		return ATTACH_E_AUTH;
	if ((tag == TAG_FINAL) != (chunkno + 1 == o->h.nchunks))
		return tag == TAG_FINAL ? ATTACH_E_ORDER : ATTACH_E_TRUNCATED;
	*outlen = check_padding(o, &bad);
	if (bad)
		return ATTACH_E_PADDING;
	*out = o->pt;
	o->final = tag == TAG_FINAL;
	o->next++;
	return ATTACH_OK;
}

enum attach_err
attach_open_end(const struct attach_open *o)
{
	return o->final && o->next == o->h.nchunks ? ATTACH_OK :
	    ATTACH_E_TRUNCATED;
}

void
attach_open_free(struct attach_open *o)
{
	if (o != NULL)
		sodium_free(o);
}

const char *
attach_strerror(enum attach_err e)
{
	switch (e) {
	case ATTACH_OK:			return "ok";
	case ATTACH_E_HEAD:		return "not a file head";
	case ATTACH_E_AUTH:		return "a chunk does not authenticate "
					    "(altered, moved or from another file)";
	case ATTACH_E_ORDER:		return "a chunk missing, repeated or out "
					    "of order";
	case ATTACH_E_TRUNCATED:	return "the file ends before its final chunk";
	case ATTACH_E_PADDING:		return "bad padding";
	case ATTACH_E_NOMEM:		return "out of memory";
	}
	return "unknown error";
}
