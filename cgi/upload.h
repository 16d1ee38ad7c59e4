/*
 * A report sent as multipart/form-data (a form with a file input): the
 * body is read in pieces and fed to the streaming parser
 * (lib/multipart.h); the text fields are gathered into a struct form as
 * form_parse would have made it, so that form_check, the pages and the
 * record treat both encodings alike; each file's kind is told from its
 * first bytes (lib/filekind.h) and its size counted against the
 * config's limits. The first file refused, and why, is kept so that the
 * page can name it and keep the reporter's text.
 */
#ifndef TIPLINE_UPLOAD_H
#define TIPLINE_UPLOAD_H

#include <stdint.h>

#include "attach.h"
#include "config.h"
#include "filekind.h"
#include "form.h"
#include "multipart.h"
#include "store.h"

/* The one field name a file may come under (the form's file input). */
#define UPLOAD_FIELD	"files"

enum upload_refusal {
	UPLOAD_OK = 0,
	UPLOAD_KIND,		/* not a kind we accept */
	UPLOAD_TOO_LARGE,	/* one file over max_file_bytes */
	UPLOAD_TOO_MANY,	/* more than max_files */
	UPLOAD_TOTAL,		/* all files over max_files_bytes */
};

struct upload_file {
	/* The name as sent: it goes only into the seal. */
	unsigned char		 name[MAX_FILENAME + 1];
	size_t			 namelen;
	enum filekind		 kind;
	uint64_t		 size;
	unsigned char		 first[FILEKIND_SNIFF];
	size_t			 nfirst;
	struct filekind_text	 text;
	/* Sealed as it arrives (lib/attach.h) into the spool. */
	struct attach_seal	*seal;
	uint32_t		 nchunks;
	unsigned char		 head[ATTACH_HEAD_MAX];	/* plaintext */
	size_t			 headlen;
};

struct upload {
	const struct config	*cfg;
	/* The report's reference, made before the body is read: each
	 * chunk is bound to it as it is sealed. */
	char			 ref[REF_LEN + 1];
	/* An unlinked file in the database's directory that receives the
	 * sealed chunks (ciphertext only), -1 until the first file byte. */
	int			 spool;
	int			 spool_failed;
	struct form		 form;	/* the text fields */
	size_t			 used;	/* bytes of form.buf in use */
	struct upload_file	 files[MAX_FILES];
	size_t			 nfiles;
	struct upload_file	*cur;	/* the file being read, or NULL */
	struct upload_file	 extra;	/* a file past the limit: named only */
	size_t			 values;	/* bytes of every field's value */
	uint64_t		 total;	/* bytes of every file */
	enum upload_refusal	 refusal;
	/* The refused file's name made safe (multipart_safe_name). */
	char			 refused[MAX_FILENAME + 1];
};

/* Reads exactly len bytes of body with rd and parses them. The body's
 * plaintext passes only through a buffer that is wiped. Returns
 * MULTIPART_OK with u filled (u->refusal may say a file was refused),
 * or the error; upload_free in both cases. */
enum multipart_err	 upload_read(struct upload *u, const struct config *,
			    const char *ctype, size_t len,
			    int (*rd)(void *, char *, int), void *io);
/* Sealing or spooling failed (I/O, memory): the report is not taken. */
int			 upload_failed(const struct upload *);
/* Wipes what was read, then frees it. */
void			 upload_free(struct upload *);

#endif
