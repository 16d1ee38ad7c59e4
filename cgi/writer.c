/*
 * Group commit (writer.h). A row goes to the writer as SOCK_SEQPACKET
 * messages of at most CHUNK bytes, each with the row's id, its offset
 * and the row's total length, so that the writer can tell a whole row
 * from the remains of one whose worker was killed half-way: a message
 * at offset 0 starts a new row and drops whatever came before. The
 * answer is one message with the same id; a worker drops answers with
 * another id (meant for a request it gave up on, or for the worker that
 * had its slot before it). The writer takes every row that is whole
 * when it looks, stores them all in one transaction, and answers only
 * after the COMMIT; there is no timer, so a row alone is stored at
 * once, and rows that arrive meanwhile make the next batch.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>

#include <sodium.h>

#include "writer.h"

#define CHUNK	(32 * 1024)	/* well under the default SO_SNDBUF */
#define TICK_MS	100		/* how often a waiting worker looks at gen */

struct chunk_head {
	uint64_t	id;
	uint32_t	off;
	uint32_t	total;
};

/* The row's plain columns, then the envelope, then each file's head.
 * The files' chunks are in the spool file whose descriptor comes with
 * the row's first message (SCM_RIGHTS), one file after another. */
#define WIRE_HEAD_MAX	8192	/* a file's head envelope */
struct wire_row {
	unsigned char	nonce[TOKEN_NONCE];
	char		ref[REF_LEN + 1];
	char		day[11];
	char		expires[11];
	unsigned char	has_receipt;
	struct store_receipt receipt;
	uint32_t	nfiles;
	uint32_t	headlen[MAX_FILES];
	uint32_t	nchunks[MAX_FILES];
};
#define WIRE_MAX	(sizeof(struct wire_row) + MAX_ENVELOPE + \
			 MAX_FILES * WIRE_HEAD_MAX)

struct answer {
	uint64_t	id;
	int32_t		res;
	char		ref[REF_LEN + 1];
};

_Static_assert(sizeof(struct wire_row) < CHUNK, "row head fits a chunk");
_Static_assert(WIRE_MAX < UINT32_MAX, "row length fits the chunk head");

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One message; a full socket buffer is waited out in TICK_MS steps
 * (SO_SNDTIMEO) while the writer lives and the deadline holds. */
static int
send_chunk(struct writer *w, struct iovec *iov, int niov, int fd,
    uint32_t gen, long long deadline)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)niov;
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (sendmsg(w->fd, &mh, MSG_NOSIGNAL) < 0) {
		if ((errno != EAGAIN && errno != EINTR) || *w->gen != gen ||
		    now_ms() > deadline)
			return -1;
	}
	return 0;
}

static int
send_row(struct writer *w, uint64_t id, const struct wire_row *h,
    const unsigned char *env, size_t envlen, int spool, uint32_t gen,
    long long deadline)
{
	struct chunk_head ch;
	struct iovec iov[3];
	size_t eo = 0, n;
	int k;

	ch.id = id;
	ch.total = (uint32_t)(sizeof(*h) + envlen);
	do {
		k = 0;
		ch.off = eo == 0 ? 0 : (uint32_t)(sizeof(*h) + eo);
		iov[k].iov_base = &ch;
		iov[k++].iov_len = sizeof(ch);
		n = CHUNK;
		if (eo == 0) {
			iov[k].iov_base = (void *)h;
			iov[k++].iov_len = sizeof(*h);
			n -= sizeof(*h);
		}
		if (n > envlen - eo)
			n = envlen - eo;
		iov[k].iov_base = (void *)(env + eo);
		iov[k++].iov_len = n;
		if (send_chunk(w, iov, k, eo == 0 ? spool : -1, gen,
		    deadline) != 0)
			return -1;
		eo += n;
	} while (eo < envlen);
	return 0;
}

static enum store_res
wait_answer(struct writer *w, uint64_t id, uint32_t gen, long long deadline,
    char dupref[REF_LEN + 1])
{
	struct pollfd pfd;
	struct answer a;
	long long left;
	ssize_t n;

	while ((left = deadline - now_ms()) > 0 && *w->gen == gen) {
		pfd.fd = w->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left < TICK_MS ? (int)left : TICK_MS) <= 0)
			continue;
		n = recv(w->fd, &a, sizeof(a), MSG_DONTWAIT);
		if (n != (ssize_t)sizeof(a) || a.id != id)
			continue;	/* an answer to a request given up */
		if (a.res < STORE_OK || a.res > STORE_ERR)
			return STORE_ERR;
		if (a.res == STORE_DUP) {
			if (!ref_valid(a.ref, strnlen(a.ref, sizeof(a.ref))))
				return STORE_ERR;
			memcpy(dupref, a.ref, REF_LEN + 1);
		}
		return (enum store_res)a.res;
	}
	return STORE_ERR;
}

void
writer_init(struct writer *w, int fd, int timeout_ms,
    const volatile uint32_t *gen)
{
	struct timeval tv = { 0, TICK_MS * 1000 };

	w->fd = fd;
	w->timeout_ms = timeout_ms;
	w->gen = gen;
	randombytes_buf(&w->next_id, sizeof(w->next_id));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

enum store_res
writer_insert(struct writer *w, const unsigned char nonce[TOKEN_NONCE],
    const char *ref, const char *day, const char *expires,
    const unsigned char *env, size_t envlen, const struct store_receipt *rc,
    char dupref[REF_LEN + 1])
{
	return writer_insert_files(w, nonce, ref, day, expires, env, envlen,
	    rc, NULL, 0, dupref);
}

enum store_res
writer_insert_files(struct writer *w, const unsigned char
    nonce[TOKEN_NONCE], const char *ref, const char *day,
    const char *expires, const unsigned char *env, size_t envlen,
    const struct store_receipt *rc, const struct store_file *files,
    size_t nfiles, char dupref[REF_LEN + 1])
{
	struct wire_row h;
	long long deadline = now_ms() + w->timeout_ms;
	uint32_t gen = *w->gen;
	uint64_t id = w->next_id++;
	unsigned char *payload;
	size_t i, len = envlen;
	enum store_res res = STORE_ERR;

	if (envlen == 0 || envlen > MAX_ENVELOPE || nfiles > MAX_FILES)
		return STORE_ERR;
	memset(&h, 0, sizeof(h));
	memcpy(h.nonce, nonce, TOKEN_NONCE);
	snprintf(h.ref, sizeof(h.ref), "%s", ref);
	snprintf(h.day, sizeof(h.day), "%s", day);
	snprintf(h.expires, sizeof(h.expires), "%s", expires);
	if (rc != NULL) {
		h.has_receipt = 1;
		h.receipt = *rc;
	}
	h.nfiles = (uint32_t)nfiles;
	for (i = 0; i < nfiles; i++) {
		if (files[i].headlen > WIRE_HEAD_MAX)
			return STORE_ERR;
		h.headlen[i] = (uint32_t)files[i].headlen;
		h.nchunks[i] = files[i].nchunks;
		len += files[i].headlen;
	}
	if ((payload = malloc(len)) == NULL)
		return STORE_ERR;
	memcpy(payload, env, envlen);
	for (i = 0, len = envlen; i < nfiles; len += files[i++].headlen)
		memcpy(payload + len, files[i].head, files[i].headlen);
	if (send_row(w, id, &h, payload, len, nfiles > 0 ? files[0].fd : -1,
	    gen, deadline) == 0)
		res = wait_answer(w, id, gen, deadline, dupref);
	free(payload);
	return res;
}

/* The writer's side: one slot per worker. total 0: no row in hand. */
struct slot {
	int		 fd;
	int		 spool;		/* the row's spool file, or -1 */
	uint64_t	 id;
	size_t		 got, total, cap;
	unsigned char	*buf;
	int		 ready;
	struct store_file files[MAX_FILES];
};

static int
reserve(struct slot *s, size_t need)
{
	unsigned char *p;

	if (s->cap >= need)
		return 0;
	if ((p = realloc(s->buf, need)) == NULL)
		return -1;
	s->buf = p;
	s->cap = need;
	return 0;
}

static void
take_chunk(struct slot *s, const unsigned char *m, size_t n)
{
	struct chunk_head ch;

	if (n < sizeof(ch))
		return;
	memcpy(&ch, m, sizeof(ch));
	m += sizeof(ch);
	n -= sizeof(ch);
	if (ch.off == 0) {	/* a new row: what came before is dropped */
		s->total = 0;
		if (ch.total <= sizeof(struct wire_row) ||
		    ch.total > WIRE_MAX || reserve(s, ch.total) != 0)
			return;
		s->id = ch.id;
		s->total = ch.total;
		s->got = 0;
	} else if (s->total == 0 || ch.id != s->id || ch.off != s->got) {
		s->total = 0;
		return;
	}
	if (n > s->total - s->got) {
		s->total = 0;
		return;
	}
	memcpy(s->buf + s->got, m, n);
	s->got += n;
	s->ready = s->got == s->total;
}

static void
close_spool(struct slot *s)
{
	if (s->spool >= 0)
		close(s->spool);
	s->spool = -1;
}

/* One message, and the descriptor that may come with it: a new one
 * replaces the slot's (a row's first message brings its spool). */
static ssize_t
recv_chunk(struct slot *s, unsigned char *scratch, size_t cap)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { scratch, cap };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof(u.b);
	if ((n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			close_spool(s);
			s->spool = fd;
		}
	return n;
}

/* Reads what the slot's worker sent, up to one whole row. */
static void
read_slot(struct slot *s, unsigned char *scratch, size_t cap)
{
	ssize_t n;

	while (!s->ready && (n = recv_chunk(s, scratch, cap)) > 0)
		take_chunk(s, scratch, (size_t)n);
}

static void
answer(struct slot *s, enum store_res res, const char *ref)
{
	struct answer a;

	memset(&a, 0, sizeof(a));
	a.id = s->id;
	a.res = (int32_t)res;
	if (ref != NULL)
		memcpy(a.ref, ref, REF_LEN + 1);
	/* A full buffer means a worker that stopped reading: it gave up. */
	(void)send(s->fd, &a, sizeof(a), MSG_DONTWAIT | MSG_NOSIGNAL);
	s->ready = 0;
	s->total = 0;
	close_spool(s);
}

/* The files of a slot's row: heads at the end of the payload, chunks
 * in the spool, which must hold them all (so that a short spool fails
 * its row, not the batch). */
static int
decode_files(const struct slot *s, const struct wire_row *h, size_t *envlen,
    struct store_file *files)
{
	size_t i, heads = 0, payload = s->total - sizeof(*h);
	uint64_t off = 0;
	struct stat sb;

	if (h->nfiles > MAX_FILES)
		return -1;
	for (i = 0; i < h->nfiles; i++) {
		if (h->headlen[i] == 0 || h->headlen[i] > WIRE_HEAD_MAX ||
		    h->nchunks[i] == 0 || h->nchunks[i] > 320)
			return -1;
		heads += h->headlen[i];
	}
	if (heads >= payload || payload - heads > MAX_ENVELOPE)
		return -1;
	*envlen = payload - heads;
	if (h->nfiles == 0)
		return 0;
	if (s->spool < 0 || fstat(s->spool, &sb) != 0)
		return -1;
	for (i = 0, heads = *envlen; i < h->nfiles; i++) {
		files[i].head = s->buf + sizeof(*h) + heads;
		files[i].headlen = h->headlen[i];
		files[i].nchunks = h->nchunks[i];
		files[i].fd = s->spool;
		files[i].off = off;
		heads += h->headlen[i];
		off += (uint64_t)h->nchunks[i] * STORE_CHUNK;
	}
	return (uint64_t)sb.st_size >= off ? 0 : -1;
}

/* The plain columns of a slot's row, checked: a worker is trusted no
 * further than it must be. */
static int
decode(struct slot *s, struct store_batch_row *r)
{
	struct wire_row h;

	memcpy(&h, s->buf, sizeof(h));
	if (!ref_valid(h.ref, strnlen(h.ref, sizeof(h.ref))) ||
	    strnlen(h.day, sizeof(h.day)) != 10 ||
	    strnlen(h.expires, sizeof(h.expires)) != 10)
		return -1;
	memset(r, 0, sizeof(*r));
	if (decode_files(s, &h, &r->envlen, s->files) != 0)
		return -1;
	memcpy(r->nonce, h.nonce, TOKEN_NONCE);
	memcpy(r->ref, h.ref, sizeof(r->ref));
	memcpy(r->day, h.day, sizeof(r->day));
	memcpy(r->expires, h.expires, sizeof(r->expires));
	r->has_receipt = h.has_receipt == 1;
	r->receipt = h.receipt;
	r->env = s->buf + sizeof(h);
	r->files = s->files;
	r->nfiles = h.nfiles;
	return 0;
}

/* Stores every ready row in one transaction, then answers each. The
 * write lock is taken first and the rows gathered after: rows that
 * arrive while the lock is awaited (another process holds it) join this
 * batch, and share its answer, instead of each waiting for the lock in
 * turn behind it. */
static void
commit_ready(struct store *st, struct slot *slots, int n,
    unsigned char *scratch, size_t cap)
{
	struct store_batch_row rows[MAX_WORKERS];
	int idx[MAX_WORKERS], i, k = 0;
	enum store_res res;

	for (i = 0; i < n && !slots[i].ready; i++)
		;
	if (i == n)
		return;
	res = store_batch_begin(st);
	for (i = 0; i < n; i++) {
		read_slot(&slots[i], scratch, cap);
		if (!slots[i].ready)
			continue;
		if (decode(&slots[i], &rows[k]) != 0)
			answer(&slots[i], STORE_ERR, NULL);
		else
			idx[k++] = i;
	}
	if (res == STORE_OK)
		res = store_batch_finish(st, rows, (size_t)k);
	else
		for (i = 0; i < k; i++)
			rows[i].res = res;
	if (res != STORE_OK)
		fprintf(stderr, "tipline-fcgi: writer: %d report%s not "
		    "stored: %s\n", k, k == 1 ? "" : "s",
		    store_errmsg(st));
	for (i = 0; i < k; i++)
		answer(&slots[idx[i]], rows[i].res, rows[i].res == STORE_DUP ?
		    rows[i].dupref : NULL);
}

int
writer_run(struct store *st, const int *fds, int n,
    const volatile sig_atomic_t *stop)
{
	static unsigned char scratch[sizeof(struct chunk_head) + CHUNK];
	struct pollfd pfd[MAX_WORKERS];
	struct slot slots[MAX_WORKERS];
	int i;

	if (n < 1 || n > MAX_WORKERS)
		return 1;
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < n; i++) {
		slots[i].fd = fds[i];
		slots[i].spool = -1;
	}
	while (!*stop) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		/* A timeout, so that a SIGTERM between the check of stop
		 * and poll() is not missed for long. */
		if (poll(pfd, (nfds_t)n, 1000) <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				read_slot(&slots[i], scratch, sizeof(scratch));
		commit_ready(st, slots, n, scratch, sizeof(scratch));
	}
	for (i = 0; i < n; i++) {
		free(slots[i].buf);
		close_spool(&slots[i]);
	}
	return 0;
}
