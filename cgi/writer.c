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
#include <sys/time.h>
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

/* The row's plain columns, then the envelope. */
struct wire_row {
	unsigned char	nonce[TOKEN_NONCE];
	char		ref[REF_LEN + 1];
	char		day[11];
	char		expires[11];
	unsigned char	has_receipt;
	struct store_receipt receipt;
};

struct answer {
	uint64_t	id;
	int32_t		res;
	char		ref[REF_LEN + 1];
};

_Static_assert(sizeof(struct wire_row) < CHUNK, "row head fits a chunk");
_Static_assert(sizeof(struct wire_row) + MAX_ENVELOPE < UINT32_MAX,
    "row length fits the chunk head");

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
send_chunk(struct writer *w, struct iovec *iov, int niov, uint32_t gen,
    long long deadline)
{
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)niov;
	while (sendmsg(w->fd, &mh, MSG_NOSIGNAL) < 0) {
		if ((errno != EAGAIN && errno != EINTR) || *w->gen != gen ||
		    now_ms() > deadline)
			return -1;
	}
	return 0;
}

static int
send_row(struct writer *w, uint64_t id, const struct wire_row *h,
    const unsigned char *env, size_t envlen, uint32_t gen,
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
		if (send_chunk(w, iov, k, gen, deadline) != 0)
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
	struct wire_row h;
	long long deadline = now_ms() + w->timeout_ms;
	uint32_t gen = *w->gen;
	uint64_t id = w->next_id++;

	if (envlen == 0 || envlen > MAX_ENVELOPE)
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
	if (send_row(w, id, &h, env, envlen, gen, deadline) != 0)
		return STORE_ERR;
	return wait_answer(w, id, gen, deadline, dupref);
}

/* The writer's side: one slot per worker. total 0: no row in hand. */
struct slot {
	int		 fd;
	uint64_t	 id;
	size_t		 got, total, cap;
	unsigned char	*buf;
	int		 ready;
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
		    ch.total > sizeof(struct wire_row) + MAX_ENVELOPE ||
		    reserve(s, ch.total) != 0)
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

/* Reads what the slot's worker sent, up to one whole row. */
static void
read_slot(struct slot *s, unsigned char *scratch, size_t cap)
{
	ssize_t n;

	while (!s->ready &&
	    (n = recv(s->fd, scratch, cap, MSG_DONTWAIT)) > 0)
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
}

/* The plain columns of a slot's row, checked: a worker is trusted no
 * further than it must be. */
static int
decode(const struct slot *s, struct store_batch_row *r)
{
	struct wire_row h;

	memcpy(&h, s->buf, sizeof(h));
	if (!ref_valid(h.ref, strnlen(h.ref, sizeof(h.ref))) ||
	    strnlen(h.day, sizeof(h.day)) != 10 ||
	    strnlen(h.expires, sizeof(h.expires)) != 10)
		return -1;
	memset(r, 0, sizeof(*r));
	memcpy(r->nonce, h.nonce, TOKEN_NONCE);
	memcpy(r->ref, h.ref, sizeof(r->ref));
	memcpy(r->day, h.day, sizeof(r->day));
	memcpy(r->expires, h.expires, sizeof(r->expires));
	r->has_receipt = h.has_receipt == 1;
	r->receipt = h.receipt;
	r->env = s->buf + sizeof(h);
	r->envlen = s->total - sizeof(h);
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
	for (i = 0; i < n; i++)
		slots[i].fd = fds[i];
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
	for (i = 0; i < n; i++)
		free(slots[i].buf);
	return 0;
}
