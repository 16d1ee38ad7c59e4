/*
 * A streaming multipart/form-data parser (RFC 7578, on RFC 2046 section
 * 5.1). Pure: the caller feeds the body in pieces of any size as it
 * reads them, and the parser calls back at the start of each part, with
 * each run of a part's content, and at its end; it never buffers a
 * part's content, so memory does not grow with the size of a file. The
 * boundary, each part's header block and the number of parts are
 * bounded (lib/bounds.h); a field's content is bounded, a file's content
 * past its limit is dropped and marked (so that the page can name the
 * file and keep the reporter's text). A part's Content-Type is ignored:
 * kinds are told from the content (lib/filekind.c).
 */
#ifndef TIPLINE_MULTIPART_H
#define TIPLINE_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

enum multipart_err {
	MULTIPART_OK = 0,
	MULTIPART_E_TYPE,	/* Content-Type not multipart/form-data */
	MULTIPART_E_BOUNDARY,	/* boundary missing, repeated, bad or long */
	MULTIPART_E_SYNTAX,	/* preamble, or no CRLF or "--" after one */
	MULTIPART_E_HEADER_SIZE,	/* a header block over MAX_PART_HEADER */
	MULTIPART_E_HEADER,	/* a malformed header or disposition */
	MULTIPART_E_TOO_MANY,	/* more parts than the limit */
	MULTIPART_E_FIELD_SIZE,	/* a field's content over its limit */
	MULTIPART_E_TRUNCATED,	/* the body ended before the last boundary */
	MULTIPART_E_ABORTED,	/* a callback said stop */
};

/* What the parser knows of the part being read. */
struct multipart_part {
	unsigned	 index;		/* 0 for the first part */
	char		 name[MAX_FIELD_NAME + 1];	/* NUL-terminated */
	size_t		 namelen;
	/* As sent, not sanitised (multipart_safe_name): kept only inside
	 * the seal. Empty for a browser's empty file input. */
	unsigned char	 filename[MAX_FILENAME + 1];
	size_t		 filenamelen;
	int		 is_file;	/* a filename parameter was present */
	uint64_t	 size;		/* content bytes seen, dropped or not */
	int		 too_large;	/* a file past limits.file_bytes */
};

struct multipart_limits {
	unsigned	 parts;		/* at most MAX_PARTS */
	size_t		 field_bytes;	/* content of a part without filename */
	uint64_t	 file_bytes;	/* content of a file given to data() */
};

/* Each returns 0 to go on; anything else stops with MULTIPART_E_ABORTED. */
struct multipart_handler {
	int	(*begin)(void *ctx, const struct multipart_part *);
	int	(*data)(void *ctx, const struct multipart_part *,
		    const unsigned char *, size_t);
	int	(*end)(void *ctx, const struct multipart_part *);
	void	*ctx;
};

enum multipart_state {
	MP_FIRST, MP_DATA, MP_AFTER, MP_HEADER, MP_DONE, MP_FAILED,
};

struct multipart {
	struct multipart_handler	 h;
	struct multipart_limits		 lim;
	enum multipart_state		 state;
	enum multipart_err		 err;
	/* "\r\n--" and the boundary: a part ends where it is matched. */
	char				 delim[4 + MAX_BOUNDARY];
	size_t				 dlen;
	size_t				 match;	/* delim bytes matched so far */
	char				 after[2];	/* bytes after a delimiter */
	size_t				 nafter;
	char				 hdr[MAX_PART_HEADER];
	size_t				 nhdr;
	unsigned			 nparts;
	struct multipart_part		 part;
};

/* Reads the boundary from a request's Content-Type (RFC 7578 4.1). */
enum multipart_err	 multipart_boundary(const char *ctype, char *out,
			    size_t *outlen);
/* Limits default to the bounds header's when lim is NULL. */
enum multipart_err	 multipart_init(struct multipart *, const char *ctype,
			    const struct multipart_limits *,
			    const struct multipart_handler *);
enum multipart_err	 multipart_feed(struct multipart *,
			    const unsigned char *, size_t);
/* The body has ended: MULTIPART_OK only after the closing delimiter. */
enum multipart_err	 multipart_finish(struct multipart *);
/* Parses one part's header block (the lines before the empty line,
 * each ending in CRLF) into p's name and filename. */
enum multipart_err	 multipart_headers(const char *, size_t,
			    struct multipart_part *p);
const char		*multipart_strerror(enum multipart_err);

/* A file name fit to show and to create: the last path component, with
 * control characters, bidirectional controls, invalid UTF-8 and
 * characters that are special in a path or a shell replaced by '_', no
 * leading dot, at most outsize - 1 bytes cut on a character boundary;
 * "file" when nothing is left. outsize is at least 8. */
void			 multipart_safe_name(const unsigned char *, size_t,
			    char *out, size_t outsize);

#endif
