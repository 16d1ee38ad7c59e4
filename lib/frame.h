/*
 * The sync protocol's frames (docs/FORMATS.md section 10): what
 * `tipline sync` and `tipline-relay` say to each other over a pipe or an
 * SSH channel. A frame is a u32 BE length, a type byte and a body; the
 * length is checked against MAX_FRAME before anything is allocated, and
 * each type's body against its own exact size or bounds. frame_parse is
 * pure (bytes in, struct out) so that the fuzzer calls the same code as
 * both ends; frame_read and frame_write do the I/O around it.
 */
#ifndef TIPLINE_FRAME_H
#define TIPLINE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "event.h"

#define FRAME_MAGIC	"TLSYNC"
#define FRAME_VERSION	2	/* relay.c says it in its error too */
#define FRAME_LEN	4	/* the u32 BE length before each frame */
/* PULL and END carry one cursor per kind of row the relay hands out, so
 * that a later kind adds a slot, not a protocol. */
enum frame_cursor {
	CUR_REPORT,	/* reports.id */
	CUR_EVENT,	/* events.id */
	CUR_MESSAGE,	/* a reporter's follow-up messages (issue 13) */
	CUR_FILE,	/* attachment chunks (issue 14) */
	FRAME_CURSORS
};
#define FRAME_RECEIPT_PK	32	/* a REPORT's receipt public key */
/* The largest frame: a report frame's fixed fields and an envelope. */
#define MAX_FRAME	(1 + 31 + FRAME_RECEIPT_PK + MAX_ENVELOPE)

enum frame_type {
	FR_HELLO = 1,	/* both ways: magic, version */
	FR_PULL = 2,	/* client: the FRAME_CURSORS cursors */
	FR_REPORT = 3,	/* relay: id, ref, day, status, receipt public
			 * key, envelope */
	FR_EVENT = 4,	/* relay: id, event bytes */
	FR_END = 5,	/* relay: the cursors after this pull */
	FR_PUSH = 6,	/* client: event bytes */
	FR_ACK = 7,	/* relay: the result of one push */
	FR_ERROR = 8,	/* relay: a message, then it closes */
	FR_MESSAGE = 9,	/* relay: a reporter's message: id, ref, day,
			 * envelope (issue 13) */
	FR_HISTORY = 10,	/* relay: a row of status_history from before
				 * events: id, ref, day, status, sealed note */
	FR_FILE = 11,	/* relay: file id, ref, index, chunks, head envelope */
	FR_CHUNK = 12,	/* relay: chunk id, file id, number, sealed chunk */
};
/* A FILE frame's fixed fields, and a CHUNK frame's whole body. */
#define FRAME_FILE_HEAD		(8 + EVENT_REF + 1 + 4)	/* 25 */
#define FRAME_CHUNK_DATA	(64 * 1024 + 17)	/* ATTACH_CHUNK_CT */
#define FRAME_CHUNK_BODY	(8 + 8 + 4 + FRAME_CHUNK_DATA)

enum ack_code {
	ACK_STORED = 0,		/* new, stored with its effect */
	ACK_HAD = 1,		/* the relay had it already */
	ACK_REFUSED = 2,	/* not stored; the message says why */
};

enum frame_err {
	FRAME_OK = 0,
	FRAME_MORE,		/* truncated: more bytes are needed */
	FRAME_E_SIZE,		/* length 0 or over MAX_FRAME */
	FRAME_E_TYPE,		/* unknown frame type */
	FRAME_E_BODY,		/* a body of the wrong size or content */
	FRAME_E_VERSION,	/* a HELLO with another magic or version */
	FRAME_E_IO,		/* frame_read, frame_write: EOF or error */
};

struct frame {
	int			 type;
	size_t			 len;		/* bytes used: FRAME_LEN + n */
	uint64_t		 a;		/* a row id */
	uint64_t		 b;		/* CHUNK: its file's id */
	unsigned		 idx;		/* FILE: the file's index */
	uint32_t		 count;		/* FILE: chunks; CHUNK: number */
	uint64_t		 cur[FRAME_CURSORS];	/* PULL, END */
	char			 ref[EVENT_REF + 1];
	char			 day[11];
	int			 status;	/* report status code, ack code */
	unsigned char		 receipt_pk[FRAME_RECEIPT_PK];	/* REPORT */
	unsigned int		 version;
	const unsigned char	*data;		/* envelope, event, message */
	size_t			 datalen;
};

/* Parses the frame at the start of p[0..n). */
enum frame_err	frame_parse(const unsigned char *p, size_t n,
		    struct frame *);
/* Reads one frame from fd into *buf (grown as needed, at most
 * FRAME_LEN + MAX_FRAME bytes) and parses it. */
enum frame_err	frame_read(int fd, unsigned char **buf, size_t *cap,
		    struct frame *);
/* Writes a frame: type, then the fixed head (headlen bytes) and data. */
enum frame_err	frame_write(int fd, int type, const unsigned char *head,
		    size_t headlen, const unsigned char *data,
		    size_t datalen);
/* Helpers for the fixed heads. */
enum frame_err	frame_hello(int fd);
enum frame_err	frame_cursors(int fd, int type,
		    const uint64_t cur[FRAME_CURSORS]);
/* pk: the receipt's public key, NULL for none (sent as zeros). */
enum frame_err	frame_report(int fd, uint64_t id, const char *ref,
		    const char *day, int status, const unsigned char *pk,
		    const unsigned char *env, size_t envlen);
/* A report's history row, right after its REPORT frame. */
enum frame_err	frame_history(int fd, uint64_t id, const char *ref,
		    const char *day, int status, const unsigned char *note,
		    size_t notelen);
enum frame_err	frame_message(int fd, uint64_t id, const char *ref,
		    const char *day, const unsigned char *env, size_t envlen);
enum frame_err	frame_event(int fd, uint64_t id, const unsigned char *ev,
		    size_t evlen);
enum frame_err	frame_file(int fd, uint64_t id, const char *ref,
		    unsigned idx, uint32_t nchunks, const unsigned char *head,
		    size_t headlen);
enum frame_err	frame_chunk(int fd, uint64_t id, uint64_t file, uint32_t n,
		    const unsigned char *data, size_t datalen);
enum frame_err	frame_ack(int fd, int code, const char *msg);
enum frame_err	frame_error(int fd, const char *msg);
const char	*frame_strerror(enum frame_err);

#endif
