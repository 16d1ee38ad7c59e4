/*
 * Attachments sealed as they stream (docs/FORMATS.md section 3b). Each
 * file has its own random key; its content, padded to a power of two of
 * at least one chunk, is cut into chunks of ATTACH_CHUNK bytes, each
 * encrypted with crypto_secretstream_xchacha20poly1305 (the last tagged
 * FINAL) under associated data that names the report's reference, the
 * file's index and the chunk's number. The key, the stream header, the
 * name as sent, the kind and the exact size form the file's head, which
 * the caller seals like a report (an envelope, lib/envelope.h) under the
 * reference attach_head_ref gives. Only a chunk of plaintext is held at
 * a time, in sodium_malloc'd memory, wiped when done.
 */
#ifndef TIPLINE_ATTACH_H
#define TIPLINE_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "bounds.h"
#include "filekind.h"

#define ATTACH_CHUNK		(64 * 1024)	/* plaintext bytes per chunk */
#define ATTACH_CHUNK_CT		(ATTACH_CHUNK + 17)	/* + secretstream ABYTES */
#define ATTACH_HEAD_MAGIC	"TLFH"
#define ATTACH_VERSION		1
#define ATTACH_HEAD_FIXED	76	/* the head before the name */
#define ATTACH_HEAD_MAX		(ATTACH_HEAD_FIXED + MAX_FILENAME)
#define ATTACH_REF_MAX		64	/* reference, '/' and index, NUL */
/* A file of MAX_FILE_BYTES pads to this many chunks at most. */
#define ATTACH_MAX_CHUNKS	(2 * MAX_FILE_BYTES / ATTACH_CHUNK)

/* Called with each sealed chunk, in order; nonzero stops sealing. */
typedef int	(*attach_emit)(void *ctx, uint32_t chunkno,
		    const unsigned char *ct, size_t n);

struct attach_seal;

/* The padded size: the smallest power of two >= ATTACH_CHUNK and > size. */
uint64_t	 attach_bucket(uint64_t size);
/* "REF/INDEX": the reference a file's head envelope is sealed under. */
void		 attach_head_ref(const char *ref, unsigned index,
		    char out[ATTACH_REF_MAX]);

struct attach_seal *attach_seal_new(const char *ref, unsigned index,
		    attach_emit, void *ctx);
int		 attach_seal_update(struct attach_seal *,
		    const unsigned char *, size_t);
/* Pads and seals the last chunks, then writes the head's plaintext into
 * head (ATTACH_HEAD_MAX bytes), its length in *headlen. */
int		 attach_seal_final(struct attach_seal *, enum filekind,
		    const unsigned char *name, size_t namelen,
		    unsigned char *head, size_t *headlen);
/* Wipes and frees; safe on NULL. */
void		 attach_seal_free(struct attach_seal *);

enum attach_err {
	ATTACH_OK = 0,
	ATTACH_E_HEAD,		/* a head that is not one */
	ATTACH_E_AUTH,		/* a chunk flipped, moved or from elsewhere */
	ATTACH_E_ORDER,		/* a chunk missing, repeated or after FINAL */
	ATTACH_E_TRUNCATED,	/* the stream ended before FINAL */
	ATTACH_E_PADDING,	/* a valid stream with bad padding */
	ATTACH_E_NOMEM,
};

struct attach_head {
	enum filekind	 kind;
	unsigned	 index;
	uint64_t	 size;
	uint32_t	 nchunks;
	unsigned char	 key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char	 header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char	 name[MAX_FILENAME + 1];	/* NUL-terminated */
	size_t		 namelen;
};

/* Parses a head's plaintext (from its envelope) of file index. */
enum attach_err	 attach_head_parse(const unsigned char *, size_t,
		    unsigned index, struct attach_head *);

struct attach_open;
struct attach_open *attach_open_new(const struct attach_head *,
		    const char *ref);
/* Opens chunk chunkno (they must come in order, from 0). The file's
 * bytes in it, if any, are at *out (*outlen bytes, valid until the next
 * call); the padding is checked and not given. */
enum attach_err	 attach_open_chunk(struct attach_open *, uint32_t chunkno,
		    const unsigned char *ct, size_t n,
		    const unsigned char **out, size_t *outlen);
/* ATTACH_OK once the chunk tagged FINAL was the head's last. */
enum attach_err	 attach_open_end(const struct attach_open *);
void		 attach_open_free(struct attach_open *);
const char	*attach_strerror(enum attach_err);

#endif
