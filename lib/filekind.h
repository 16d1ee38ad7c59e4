/*
 * The kind of an attached file, told from its first bytes (the
 * signatures of JPEG, PNG, WebP, HEIC/HEIF and PDF), or plain text:
 * UTF-8 without control characters other than tab, line breaks and form
 * feed, checked over the whole file as it streams. Never from the name
 * or the Content-Type the client declared. Pure; nothing here opens or
 * parses a file beyond its first bytes (a PDF's content, compressed or
 * not, is never looked into).
 */
#ifndef TIPLINE_FILEKIND_H
#define TIPLINE_FILEKIND_H

#include <stddef.h>

enum filekind {
	FILEKIND_NONE = 0,	/* not one we accept */
	FILEKIND_JPEG,
	FILEKIND_PNG,
	FILEKIND_WEBP,
	FILEKIND_HEIC,
	FILEKIND_PDF,
	FILEKIND_TEXT,
};

/* Bytes filekind_sniff needs (fewer only when the file is shorter). */
#define FILEKIND_SNIFF	16

/* From the first min(size, FILEKIND_SNIFF) bytes. FILEKIND_TEXT is a
 * first guess: filekind_text_* must then pass over the whole file. */
enum filekind	 filekind_sniff(const unsigned char *, size_t);
/* The media type, "image/jpeg"..., or NULL for FILEKIND_NONE. */
const char	*filekind_type(enum filekind);
/* The kind of a media type as filekind_type writes it. */
enum filekind	 filekind_from_type(const char *);

/* Plain text checked as it streams: a UTF-8 sequence may be cut between
 * two pieces. */
struct filekind_text {
	unsigned char	 held[4];
	size_t		 nheld;
	int		 bad;
};
void	filekind_text_feed(struct filekind_text *, const unsigned char *,
	    size_t);
/* 1 if everything fed was text, ending on a whole character. */
int	filekind_text_end(const struct filekind_text *);

#endif
