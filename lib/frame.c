/*
 * Frames of the sync protocol (docs/FORMATS.md section 10). Every check
 * is on sizes first: a frame's length is compared with MAX_FRAME before
 * a byte of its body is read or allocated, and each type has an exact
 * body size or, for variable parts, a bound.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "frame.h"
#include "store.h"
#include "util.h"

#define HELLO_BODY	(6 + 1)
#define REPORT_HEAD	(8 + EVENT_REF + 10 + 1)	/* 31 */
#define MESSAGE_HEAD	(8 + EVENT_REF + 10)		/* 30 */
/* A REPORT frame's head: a history row's and the receipt's public key
 * (all zero for a report without a receipt), so that a workstation can
 * seal a reply to the reporter (section 14). */
#define RECEIPT_HEAD	(REPORT_HEAD + FRAME_RECEIPT_PK)	/* 63 */
#define MAX_MESSAGE	1024	/* an ACK or ERROR message */

/* A message: at most MAX_MESSAGE bytes, printable ASCII only, so that
 * what a relay says cannot act on the analyst's terminal. */
static int
message_ok(const unsigned char *m, size_t n)
{
	size_t i;

	if (n > MAX_MESSAGE)
		return 0;
	for (i = 0; i < n; i++)
		if (m[i] < 0x20 || m[i] > 0x7e)
			return 0;
	return 1;
}

static enum frame_err
parse_report(const unsigned char *b, size_t n, struct frame *f, size_t head)
{
	if (n < head || n - head > MAX_ENVELOPE ||
	    !ref_valid((const char *)b + 8, EVENT_REF) || !day_valid(b + 20) ||
	    b[30] < 1 || b[30] > 5)
		return FRAME_E_BODY;
	f->a = be_get(b, 8);
	memcpy(f->ref, b + 8, EVENT_REF);
	memcpy(f->day, b + 20, 10);
	f->status = b[30];
	if (head == RECEIPT_HEAD)
		memcpy(f->receipt_pk, b + REPORT_HEAD, FRAME_RECEIPT_PK);
	f->data = b + head;
	f->datalen = n - head;
	return FRAME_OK;
}

/* A reporter's message: as a report without its status. */
static enum frame_err
parse_message(const unsigned char *b, size_t n, struct frame *f)
{
	if (n <= MESSAGE_HEAD || n - MESSAGE_HEAD > MAX_ENVELOPE ||
	    !ref_valid((const char *)b + 8, EVENT_REF) || !day_valid(b + 20))
		return FRAME_E_BODY;
	f->a = be_get(b, 8);
	memcpy(f->ref, b + 8, EVENT_REF);
	memcpy(f->day, b + 20, 10);
	f->data = b + MESSAGE_HEAD;
	f->datalen = n - MESSAGE_HEAD;
	return FRAME_OK;
}

/* FILE: a file's head (docs/FORMATS.md section 10): index 0 to
 * MAX_FILES - 1, 1 to 320 chunks, a head envelope of 1 to MAX_ENVELOPE
 * bytes. */
static enum frame_err
parse_file(const unsigned char *b, size_t n, struct frame *f)
{
	if (n <= FRAME_FILE_HEAD || n - FRAME_FILE_HEAD > MAX_ENVELOPE ||
	    !ref_valid((const char *)b + 8, EVENT_REF) || b[20] >= MAX_FILES)
		return FRAME_E_BODY;
	f->a = be_get(b, 8);
	memcpy(f->ref, b + 8, EVENT_REF);
	f->idx = b[20];
	f->count = (uint32_t)be_get(b + 21, 4);
	if (f->count < 1 || f->count > 320)
		return FRAME_E_BODY;
	f->data = b + FRAME_FILE_HEAD;
	f->datalen = n - FRAME_FILE_HEAD;
	return FRAME_OK;
}

static enum frame_err
parse_chunk(const unsigned char *b, size_t n, struct frame *f)
{
	if (n != FRAME_CHUNK_BODY)
		return FRAME_E_BODY;
	f->a = be_get(b, 8);
	f->b = be_get(b + 8, 8);
	f->count = (uint32_t)be_get(b + 16, 4);
	f->data = b + 20;
	f->datalen = FRAME_CHUNK_DATA;
	return f->count < 320 ? FRAME_OK : FRAME_E_BODY;
}

/* The body b[0..n) of a frame of type t. */
static enum frame_err
parse_body(int t, const unsigned char *b, size_t n, struct frame *f)
{
	switch (t) {
	case FR_HELLO:
		if (n != HELLO_BODY || memcmp(b, FRAME_MAGIC, 6) != 0)
			return n == HELLO_BODY ? FRAME_E_VERSION :
			    FRAME_E_BODY;
		f->version = b[6];
		return b[6] == FRAME_VERSION ? FRAME_OK : FRAME_E_VERSION;
	case FR_PULL:
	case FR_END:
		if (n != 8 * FRAME_CURSORS)
			return FRAME_E_BODY;
		for (int i = 0; i < FRAME_CURSORS; i++)
			f->cur[i] = be_get(b + 8 * i, 8);
		return FRAME_OK;
	case FR_REPORT:
		return parse_report(b, n, f, RECEIPT_HEAD);
	case FR_HISTORY:	/* a report's head without the receipt key */
		return parse_report(b, n, f, REPORT_HEAD);
	case FR_MESSAGE:
		return parse_message(b, n, f);
	case FR_FILE:
		return parse_file(b, n, f);
	case FR_CHUNK:
		return parse_chunk(b, n, f);
	case FR_EVENT:
	case FR_PUSH:
		if (t == FR_EVENT) {
			if (n < 8)
				return FRAME_E_BODY;
			f->a = be_get(b, 8);
			b += 8;
			n -= 8;
		}
		/* Only the size here: the event itself is event_parse's. */
		if (n < EVENT_MIN || n > EVENT_MAX)
			return FRAME_E_BODY;
		f->data = b;
		f->datalen = n;
		return FRAME_OK;
	case FR_ACK:
	case FR_ERROR:
		if (t == FR_ACK && (n < 1 || b[0] > ACK_REFUSED))
			return FRAME_E_BODY;
		f->status = t == FR_ACK ? b[0] : 0;
		f->data = b + (t == FR_ACK);
		f->datalen = n - (t == FR_ACK);
		return message_ok(f->data, f->datalen) ? FRAME_OK :
		    FRAME_E_BODY;
	}
	return FRAME_E_TYPE;
}

enum frame_err
frame_parse(const unsigned char *p, size_t n, struct frame *f)
{
	uint32_t len;

	memset(f, 0, sizeof(*f));
	if (n < FRAME_LEN)
		return FRAME_MORE;
	len = (uint32_t)be_get(p, 4);
	if (len == 0 || len > MAX_FRAME)
		return FRAME_E_SIZE;
	if (n - FRAME_LEN < len)
		return FRAME_MORE;
	f->type = p[FRAME_LEN];
	f->len = FRAME_LEN + len;
	return parse_body(f->type, p + FRAME_LEN + 1, len - 1, f);
}

/* Reads exactly n bytes; 0, or -1 on EOF or error. */
static int
read_full(int fd, unsigned char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Writes every iov, in one system call when the pipe takes it: one
 * write per frame, not three (a frame is one SSH packet, not three). */
static int
writev_full(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = writev(fd, iov, n)) < 0 && errno == EINTR)
			continue;
		/* Something is always left to write here: 0 is an error. */
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

enum frame_err
frame_read(int fd, unsigned char **buf, size_t *cap, struct frame *f)
{
	unsigned char hdr[FRAME_LEN], *nb;
	uint32_t len;

	memset(f, 0, sizeof(*f));
	if (read_full(fd, hdr, FRAME_LEN) != 0)
		return FRAME_E_IO;
	len = (uint32_t)be_get(hdr, 4);
	if (len == 0 || len > MAX_FRAME)	/* before any allocation */
		return FRAME_E_SIZE;
	if (*cap < FRAME_LEN + (size_t)len) {
		if ((nb = realloc(*buf, FRAME_LEN + (size_t)len)) == NULL)
			return FRAME_E_IO;
		*buf = nb;
		*cap = FRAME_LEN + (size_t)len;
	}
	memcpy(*buf, hdr, FRAME_LEN);
	if (read_full(fd, *buf + FRAME_LEN, len) != 0)
		return FRAME_MORE;	/* truncated */
	return frame_parse(*buf, FRAME_LEN + (size_t)len, f);
}

enum frame_err
frame_write(int fd, int type, const unsigned char *head, size_t headlen,
    const unsigned char *data, size_t datalen)
{
	unsigned char hdr[FRAME_LEN + 1];
	struct iovec iov[3];
	size_t len = 1 + headlen + datalen;

	if (len > MAX_FRAME)
		return FRAME_E_SIZE;
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	hdr[4] = (unsigned char)type;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)head;	/* writev does not write to it */
	iov[1].iov_len = head ? headlen : 0;
	iov[2].iov_base = (void *)data;
	iov[2].iov_len = data ? datalen : 0;
	return writev_full(fd, iov, 3) == 0 ? FRAME_OK : FRAME_E_IO;
}

enum frame_err
frame_hello(int fd)
{
	unsigned char b[HELLO_BODY];

	/* Bytes, not a string: no NUL is wanted after them.
	 * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(b, FRAME_MAGIC, 6);
	b[6] = FRAME_VERSION;
	return frame_write(fd, FR_HELLO, b, sizeof(b), NULL, 0);
}

enum frame_err
frame_cursors(int fd, int type, const uint64_t cur[FRAME_CURSORS])
{
	unsigned char h[8 * FRAME_CURSORS];

	for (int i = 0; i < FRAME_CURSORS; i++)
		be_put(h + 8 * i, cur[i], 8);
	return frame_write(fd, type, h, sizeof(h), NULL, 0);
}

static enum frame_err
write_report(int fd, int type, uint64_t id, const char *ref,
    const char *day, int status, const unsigned char *pk,
    const unsigned char *env, size_t envlen)
{
	unsigned char h[RECEIPT_HEAD];

	if (strlen(ref) != EVENT_REF || strlen(day) != 10)
		return FRAME_E_BODY;
	be_put(h, id, 8);
	memcpy(h + 8, ref, EVENT_REF);
	memcpy(h + 20, day, 10);
	h[30] = (unsigned char)status;
	if (type == FR_HISTORY)
		return frame_write(fd, type, h, REPORT_HEAD, env, envlen);
	if (pk != NULL)
		memcpy(h + REPORT_HEAD, pk, FRAME_RECEIPT_PK);
	else
		memset(h + REPORT_HEAD, 0, FRAME_RECEIPT_PK);
	return frame_write(fd, type, h, sizeof(h), env, envlen);
}

enum frame_err
frame_report(int fd, uint64_t id, const char *ref, const char *day,
    int status, const unsigned char *pk, const unsigned char *env,
    size_t envlen)
{
	return write_report(fd, FR_REPORT, id, ref, day, status, pk, env,
	    envlen);
}

enum frame_err
frame_history(int fd, uint64_t id, const char *ref, const char *day,
    int status, const unsigned char *note, size_t notelen)
{
	return write_report(fd, FR_HISTORY, id, ref, day, status, NULL,
	    note, notelen);
}

enum frame_err
frame_message(int fd, uint64_t id, const char *ref, const char *day,
    const unsigned char *env, size_t envlen)
{
	unsigned char h[MESSAGE_HEAD];

	if (strlen(ref) != EVENT_REF || strlen(day) != 10 || envlen == 0)
		return FRAME_E_BODY;
	be_put(h, id, 8);
	memcpy(h + 8, ref, EVENT_REF);
	memcpy(h + 20, day, 10);
	return frame_write(fd, FR_MESSAGE, h, sizeof(h), env, envlen);
}

enum frame_err
frame_event(int fd, uint64_t id, const unsigned char *ev, size_t evlen)
{
	unsigned char h[8];

	be_put(h, id, 8);
	return frame_write(fd, FR_EVENT, h, sizeof(h), ev, evlen);
}

enum frame_err
frame_ack(int fd, int code, const char *msg)
{
	unsigned char c = (unsigned char)code;

	return frame_write(fd, FR_ACK, &c, 1, (const unsigned char *)msg,
	    strlen(msg));
}

enum frame_err
frame_error(int fd, const char *msg)
{
	return frame_write(fd, FR_ERROR, NULL, 0, (const unsigned char *)msg,
	    strlen(msg));
}

const char *
frame_strerror(enum frame_err e)
{
	switch (e) {
	case FRAME_OK:		return "ok";
	case FRAME_MORE:	return "truncated frame";
	case FRAME_E_SIZE:	return "frame length out of bounds";
	case FRAME_E_TYPE:	return "unknown frame type";
	case FRAME_E_BODY:	return "malformed frame body";
	case FRAME_E_VERSION:	return "unknown protocol version";
	case FRAME_E_IO:	return "connection closed";
	}
	return "unknown error";
}

enum frame_err
frame_file(int fd, uint64_t id, const char *ref, unsigned idx,
    uint32_t nchunks, const unsigned char *head, size_t headlen)
{
	unsigned char h[FRAME_FILE_HEAD];

	if (strlen(ref) != EVENT_REF || idx >= MAX_FILES)
		return FRAME_E_BODY;
	be_put(h, id, 8);
	memcpy(h + 8, ref, EVENT_REF);
	h[20] = (unsigned char)idx;
	be_put(h + 21, nchunks, 4);
	return frame_write(fd, FR_FILE, h, sizeof(h), head, headlen);
}

enum frame_err
frame_chunk(int fd, uint64_t id, uint64_t file, uint32_t n,
    const unsigned char *data, size_t datalen)
{
	unsigned char h[20];

	if (datalen != FRAME_CHUNK_DATA)
		return FRAME_E_BODY;
	be_put(h, id, 8);
	be_put(h + 8, file, 8);
	be_put(h + 16, n, 4);
	return frame_write(fd, FR_CHUNK, h, sizeof(h), data, datalen);
}
