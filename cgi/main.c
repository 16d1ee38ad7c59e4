/*
 * tipline-fcgi: the FastCGI responder that takes reports. The parent
 * checks everything once (config, recipients, secret, templates,
 * database), then supervises a pool of workers and one writer: each
 * worker accepts on the shared listening socket, answers one request at
 * a time, and hands its sealed row to the writer, which commits the rows
 * of all workers together (group commit, cgi/writer.h). Any of them is
 * restarted if it dies. SIGTERM or SIGINT: workers finish the request in
 * hand and exit, then the writer; the parent waits for them, then exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "keyfile.h"
#include "record.h"
#include "serve.h"
#include "version.h"
#include "writer.h"

#define DEFAULT_CONFIG	"/etc/tipline/tipline.conf"
#define DRAIN_SECONDS	10

static volatile sig_atomic_t stop, reload;

static void
usage(FILE *f)
{
	fprintf(f, "usage: tipline-fcgi [--config FILE] [--listen unix:PATH] "
	    "[--workers N]\n       tipline-fcgi --check [--config FILE]\n"
	    "       tipline-fcgi --version\n");
}

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static void
set_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: interrupt accept */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit must fail the write (and the request, 503),
	 * not kill the worker. */
	signal(SIGXFSZ, SIG_IGN);
}

static uint64_t
now_seconds(void)
{
	return (uint64_t)time(NULL);
}

static int
load_config(const char *path, int explicit, struct config *cfg)
{
	char *text, err[256];
	size_t n, line;

	config_defaults(cfg);
	if (keyfile_slurp(path, MAX_CONFIG, &text, &n) != KF_OK) {
		if (!explicit && errno == ENOENT)
			return 0;
		fprintf(stderr, "tipline-fcgi: error: cannot read config %s: "
		    "%s\n", path, strerror(errno));
		return -1;
	}
	line = config_parse(text, n, cfg, err, sizeof(err));
	free(text);
	if (line != 0) {
		fprintf(stderr, "tipline-fcgi: error: %s:%zu: %s\n", path, line,
		    err);
		return -1;
	}
	return 0;
}

/* The deployment profile, like the config: a bad line stops start-up
 * with its number. */
static int
load_profile(const struct config *cfg, struct profile *p)
{
	char path[2 * CONFIG_PATH_MAX], *text, err[256];
	size_t n, line;

	if (cfg->profile[0] != '\0')
		snprintf(path, sizeof(path), "%s", cfg->profile);
	else
		snprintf(path, sizeof(path), "%s/profiles/ch.profile",
		    cfg->templates);
	if (keyfile_slurp(path, MAX_CONFIG, &text, &n) != KF_OK) {
		fprintf(stderr, "tipline-fcgi: error: cannot read profile %s "
		    "(set 'profile' in the config)\n", path);
		return -1;
	}
	line = profile_parse(text, n, p, err, sizeof(err));
	free(text);
	if (line != 0) {
		fprintf(stderr, "tipline-fcgi: error: %s:%zu: %s\n", path, line,
		    err);
		return -1;
	}
	return 0;
}

static int
load_recipients(const char *path, struct recipients *rc)
{
	enum kf_err e;
	char *text;
	size_t n, line = 0;

	if ((e = keyfile_slurp(path, MAX_KEYFILE, &text, &n)) == KF_OK) {
		e = keyfile_parse_public(text, n, rc, &line);
		sodium_memzero(text, n);	/* it may hold a secret key */
		free(text);
	}
	if (e == KF_OK)
		return 0;
	if (line > 0)
		fprintf(stderr, "tipline-fcgi: error: recipients file %s:%zu: "
		    "%s\n", path, line, keyfile_strerror(e));
	else
		fprintf(stderr, "tipline-fcgi: error: recipients file %s: %s\n"
		    "tipline-fcgi: hint: put the secretariat's public key there "
		    "(tipline keygen writes one; tipline pubkey prints it)\n",
		    path, e == KF_E_IO ? strerror(errno) : keyfile_strerror(e));
	return -1;
}

/* The listening socket: from --listen, from systemd (LISTEN_FDS, fd 3),
 * or fd 0 as spawn-fcgi passes it. */
static int
open_listener(const char *listen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct stat st;
	char *end;
	int fd;

	if (listen != NULL) {
		if (strncmp(listen, "unix:", 5) != 0 || listen[5] != '/') {
			fprintf(stderr, "tipline-fcgi: error: --listen takes "
			    "unix:/absolute/path\n");
			return -1;
		}
		if (stat(listen + 5, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(listen + 5);	/* stale from a past run */
		if ((fd = FCGX_OpenSocket(listen + 5, 128)) < 0)
			fprintf(stderr, "tipline-fcgi: error: cannot listen on "
			    "%s: %s\n", listen + 5, strerror(errno));
		return fd;
	}
	if (pid != NULL && fds != NULL && strcmp(fds, "1") == 0 &&
	    strtol(pid, &end, 10) == (long)getpid() && *end == '\0')
		return 3;
	if (fstat(0, &st) == 0 && S_ISSOCK(st.st_mode))
		return 0;
	fprintf(stderr, "tipline-fcgi: error: no listening socket on fd 0\n"
	    "tipline-fcgi: hint: use --listen unix:PATH, or start it under "
	    "spawn-fcgi or systemd socket activation\n");
	return -1;
}

static int
fcgi_read(void *io, char *buf, int n)
{
	return FCGX_GetStr(buf, n, (FCGX_Stream *)io);
}

static const char *
route_name(const char *p)
{
	if (p == NULL)
		return "other";
	if (strcmp(p, "/") == 0 || strcmp(p, "/submit") == 0 ||
	    strcmp(p, "/privacy") == 0 || strcmp(p, "/followup") == 0 ||
	    strcmp(p, "/followup/add") == 0 ||
	    strcmp(p, "/healthz") == 0)
		return p;
	return "other";
}

/* GET /healthz for monitoring (man/tipline-fcgi.8): 200 "ok" when the
 * recipients are loaded and the database takes a write lock now; 200
 * "warning: ..." from HEALTH_WARN % of max_db_size, 503 "full: ..." from
 * HEALTH_FULL %, 503 "unavailable" when not writable. No counts.
 * nginx exposes it on a loopback-only server (nginx/). */
#define HEALTH_WARN	90
#define HEALTH_FULL	99

static int
health(struct ctx *c, struct buf *out)
{
	int ok = c->rcpt.n > 0 && store_check_writable(c->store) == 0;
	int pct = ok ? store_usage(c->store) : -1;
	char text[80];

	if (!ok)
		snprintf(text, sizeof(text), "unavailable\n");
	else if (pct >= HEALTH_FULL)
		snprintf(text, sizeof(text), "full: database at %d%% of "
		    "max_db_size\n", pct);
	else if (pct >= HEALTH_WARN)
		snprintf(text, sizeof(text), "warning: database at %d%% of "
		    "max_db_size\n", pct);
	else
		snprintf(text, sizeof(text), "ok\n");
	ok = ok && pct < HEALTH_FULL;
	buf_str(out, ok ? "Status: 200 OK\r\n" :
	    "Status: 503 Service Unavailable\r\n");
	buf_str(out, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n\r\n");
	buf_str(out, text);
	return ok ? 200 : 503;
}

/* The head of libfcgi's private stream state (FCGX_Stream_Data in its
 * fcgiapp.c, unchanged since fcgi 2.0). Its buffer is where a report
 * arrives and where a page that echoes one leaves, and FCGX_Finish_r
 * frees it without wiping. */
struct fcgi_stream_data {
	unsigned char	*buff;		/* mBuff aligned to 8 */
	int		 bufflen;
	unsigned char	*mBuff;
};

static void
stream_wipe(FCGX_Stream *s)
{
	struct fcgi_stream_data *d = s != NULL ? s->data : NULL;

	/* Checks that the layout is the one we know before writing. */
	if (d == NULL || d->buff == NULL || d->bufflen <= 0 ||
	    d->buff < d->mBuff || d->buff - d->mBuff >= 8)
		return;
	sodium_memzero(d->buff, (size_t)d->bufflen);
}

/* Reads what the handler left of the body (a request refused before
 * its body was read), so that the input buffer holds nothing needed
 * when it is wiped. nginx caps the body; so does this loop. */
static void
drain_input(FCGX_Stream *in)
{
	char scratch[4096];
	size_t total = 0;
	int n;

	while (total < MAX_UPLOAD + MAX_BODY &&
	    (n = FCGX_GetStr(scratch, (int)sizeof(scratch), in)) > 0)
		total += (size_t)n;
	sodium_memzero(scratch, sizeof(scratch));
}

/* After the response is sent, nothing of the request or the page is
 * left in libfcgi's buffers when they are freed. */
static void
wipe_streams(FCGX_Request *fr)
{
	FCGX_FFlush(fr->out);
	stream_wipe(fr->out);
	drain_input(fr->in);
	stream_wipe(fr->in);
}

static void
handle(struct ctx *c, FCGX_Request *fr)
{
	struct buf out;
	struct req rq;
	int status;

	memset(&rq, 0, sizeof(rq));
	rq.method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	rq.path = FCGX_GetParam("DOCUMENT_URI", fr->envp);
	if (rq.path == NULL)
		rq.path = FCGX_GetParam("SCRIPT_NAME", fr->envp);
	rq.query = FCGX_GetParam("QUERY_STRING", fr->envp);
	rq.content_type = FCGX_GetParam("CONTENT_TYPE", fr->envp);
	rq.content_length = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	/* The one request header passed on: it picks the page language. */
	rq.accept_language = FCGX_GetParam("HTTP_ACCEPT_LANGUAGE", fr->envp);
	rq.read = fcgi_read;
	rq.io = fr->in;
	buf_init(&out, 0);
	if (rq.path != NULL && strcmp(rq.path, "/healthz") == 0)
		status = health(c, &out);
	else
		status = serve(c, &rq, &out);
	/* What the handler left of the body is read before the response
	 * goes out: nginx stops sending a body once the response begins,
	 * and a worker draining it afterwards would wait for ever (an
	 * upload refused after its first bytes, test_upload_limits.py). */
	drain_input(fr->in);
	if (out.failed)
		FCGX_PutS("Status: 500 Internal Server Error\r\n"
		    "Content-Type: text/plain\r\n\r\nInternal error.\n", fr->out);
	else
		FCGX_PutStr(out.p, (int)out.len, fr->out);
	buf_free(&out);
	wipe_streams(fr);
	/* One line, no client data: the status and which route. */
	if (status >= 500 || out.failed)
		fprintf(stderr, "tipline-fcgi[%ld]: %d %s\n", (long)getpid(),
		    status, route_name(rq.path));
}

/* A worker. Signals are blocked while a request is in hand so that it
 * is finished, not cut; they are delivered (and stop the loop) while
 * the worker waits in accept. */
static int
worker(struct ctx *c, int lfd)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	FCGX_Request fr;
	sigset_t term, old;
	char err[512];

	set_signals();
	signal(SIGHUP, SIG_IGN);	/* the parent reloads, then restarts us */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	if ((c->store = store_open(c->cfg->database, c->cfg->busy_timeout_ms,
	    1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tipline-fcgi: error: %s\n", err);
		return 1;
	}
	store_cache_kib(c->store, 256);	/* keeps a worker under 4 MiB */
	if (store_limit_size(c->store, c->cfg->max_db_size) != 0) {
		fprintf(stderr, "tipline-fcgi: error: %s: cannot set "
		    "max_db_size: %s\n", c->cfg->database,
		    store_errmsg(c->store));
		store_close(c->store);
		return 1;
	}
	if (c->cfg->envelope_version == 2 &&
	    (c->epoch = seal_epoch_new()) == NULL) {
		fprintf(stderr, "tipline-fcgi: error: out of memory\n");
		store_close(c->store);
		return 1;
	}
	FCGX_Init();
	FCGX_InitRequest(&fr, lfd, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!stop) {
		if (FCGX_Accept_r(&fr) < 0) {
			if (stop)
				break;
			if (errno != EINTR)
				nanosleep(&pause, NULL);	/* no busy loop */
			continue;
		}
		sigprocmask(SIG_BLOCK, &term, &old);
		handle(c, &fr);
		FCGX_Finish_r(&fr);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	seal_epoch_free(c->epoch);
	store_close(c->store);
	return 0;
}

/* The workers, the writer, and worker i's socketpair to the writer
 * (sv[i][0] the worker's end, sv[i][1] the writer's), made once and kept
 * by the parent, so that a restarted worker or writer gets the same. */
struct pool {
	int			 n;
	pid_t			 pid[MAX_WORKERS];
	time_t			 started[MAX_WORKERS];
	int			 sv[MAX_WORKERS][2];
	pid_t			 writer;
	time_t			 writer_started;
	volatile uint32_t	*gen;	/* shared; bumped when the writer dies */
};

/* How long a worker waits for the writer: the writer's own wait for the
 * lock, plus its fsync on a slow disk. */
#define WRITER_MARGIN_MS	5000

static void
spawn(struct pool *p, int i, struct ctx *c, int lfd)
{
	static struct writer w;
	pid_t pid = fork();
	int j;

	if (pid == 0) {
		for (j = 0; j < p->n; j++) {
			close(p->sv[j][1]);
			if (j != i)
				close(p->sv[j][0]);
		}
		writer_init(&w, p->sv[i][0], c->cfg->busy_timeout_ms +
		    WRITER_MARGIN_MS, p->gen);
		c->writer = &w;
		_exit(worker(c, lfd));
	}
	if (pid < 0)
		fprintf(stderr, "tipline-fcgi: fork: %s\n", strerror(errno));
	p->pid[i] = pid > 0 ? pid : 0;
	p->started[i] = time(NULL);
}

/* The wrong-receipt count every worker shares (cgi/serve.h). */
static int
guess_init(struct ctx *c)
{
	void *m;

	/* An anonymous mapping takes fd -1, as in pool_init. */
	m = mmap(NULL, sizeof(*c->guess), PROT_READ | PROT_WRITE,
	    /* cppcheck-suppress invalidFunctionArg */
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "tipline-fcgi: error: mmap: %s\n",
		    strerror(errno));
		return -1;
	}
	c->guess = m;
	return 0;
}

static int
pool_init(struct pool *p, int n)
{
	void *gen;
	int i;

	memset(p, 0, sizeof(*p));
	p->n = n;
	/* An anonymous mapping takes fd -1 (mmap(2): "some implementations
	 * require fd to be -1"); cppcheck's table knows only file maps. */
	gen = mmap(NULL, sizeof(*p->gen), PROT_READ | PROT_WRITE,
	    /* cppcheck-suppress invalidFunctionArg */
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (gen == MAP_FAILED) {
		fprintf(stderr, "tipline-fcgi: error: mmap: %s\n",
		    strerror(errno));
		return -1;
	}
	p->gen = gen;
	for (i = 0; i < n; i++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p->sv[i]) != 0) {
			fprintf(stderr, "tipline-fcgi: error: socketpair: %s\n",
			    strerror(errno));
			return -1;
		}
	return 0;
}

/* The writer: the only connection that writes reports. */
static int
writer_main(struct pool *p, struct ctx *c, int lfd)
{
	int fds[MAX_WORKERS], i, rv;
	struct store *st;
	char err[512];

	prctl(PR_SET_NAME, "tipline-writer", 0, 0, 0);	/* for ps and tests */
	set_signals();
	signal(SIGHUP, SIG_IGN);
	close(lfd);
	for (i = 0; i < p->n; i++) {
		close(p->sv[i][0]);
		fds[i] = p->sv[i][1];
	}
	if ((st = store_open(c->cfg->database, c->cfg->busy_timeout_ms, 1,
	    err, sizeof(err))) == NULL) {
		fprintf(stderr, "tipline-fcgi: error: writer: %s\n", err);
		return 1;
	}
	if (store_limit_size(st, c->cfg->max_db_size) != 0) {
		fprintf(stderr, "tipline-fcgi: error: %s: cannot set "
		    "max_db_size: %s\n", c->cfg->database, store_errmsg(st));
		store_close(st);
		return 1;
	}
	store_cache_kib(st, 256);
	rv = writer_run(st, fds, p->n, &stop);
	store_close(st);
	return rv;
}

static void
spawn_writer(struct pool *p, struct ctx *c, int lfd)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(writer_main(p, c, lfd));
	if (pid < 0)
		fprintf(stderr, "tipline-fcgi: fork: %s\n", strerror(errno));
	p->writer = pid > 0 ? pid : 0;
	p->writer_started = time(NULL);
}

/* SIGHUP: reads the recipients file again. When it is valid, records
 * the keys and restarts the workers one request later (each finishes
 * what it has in hand; the listening socket queues meanwhile), so that
 * every report from now on is sealed to the new set. When it is not,
 * says why and keeps the keys it had. */
static void
reload_recipients(struct pool *p, struct ctx *c)
{
	struct recipients rc;
	struct store *st;
	char err[512];
	int i;

	if (load_recipients(c->cfg->recipients, &rc) != 0) {
		fprintf(stderr, "tipline-fcgi: reload failed; keeping the %zu "
		    "key%s loaded before\n", c->rcpt.n, c->rcpt.n == 1 ? "" :
		    "s");
		return;
	}
	if ((st = store_open(c->cfg->database, c->cfg->busy_timeout_ms, 1,
	    err, sizeof(err))) == NULL || store_put_keys(st, &rc) != 0) {
		fprintf(stderr, "tipline-fcgi: reload failed: cannot record the "
		    "keys in the database; keeping the old ones\n");
		store_close(st);
		return;
	}
	store_close(st);
	c->rcpt = rc;
	fprintf(stderr, "tipline-fcgi: recipients reloaded: %zu key%s\n",
	    rc.n, rc.n == 1 ? "" : "s");
	for (i = 0; i < p->n; i++)
		if (p->pid[i] > 0)
			kill(p->pid[i], SIGTERM);
}

/* Restarts workers that die; a worker that dies within a second of its
 * start is restarted after a pause, so a crash loop does not spin. */
static void
supervise(struct pool *p, struct ctx *c, int lfd)
{
	pid_t pid;
	int i, st;

	while (!stop) {
		if (reload) {
			reload = 0;
			reload_recipients(p, c);
		}
		pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == ECHILD)
				sleep(1);
			goto respawn;
		}
		for (i = 0; i < p->n; i++)
			if (p->pid[i] == pid)
				p->pid[i] = 0;
		if (pid == p->writer) {
			p->writer = 0;
			/* Workers waiting for it answer 503 now. */
			__atomic_add_fetch(p->gen, 1, __ATOMIC_SEQ_CST);
		}
		if (!stop)
			fprintf(stderr, "tipline-fcgi: %s %ld %s %d; "
			    "restarting it\n", p->writer == 0 ? "writer" :
			    "worker", (long)pid, WIFSIGNALED(st) ?
			    "killed by signal" : "exited with status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
respawn:
		if (p->writer == 0 && !stop) {
			if (time(NULL) - p->writer_started < 1)
				sleep(1);
			if (!stop)
				spawn_writer(p, c, lfd);
		}
		for (i = 0; i < p->n && !stop; i++) {
			if (p->pid[i] != 0)
				continue;
			if (time(NULL) - p->started[i] < 1)
				sleep(1);
			if (!stop)
				spawn(p, i, c, lfd);
		}
	}
}

static void
alarm_noop(int sig)
{
	(void)sig;
}

/* Asks each of pid[0..n-1] to finish and waits; kills what is left
 * after DRAIN_SECONDS. */
static void
drain_pids(pid_t *pid, int n)
{
	struct sigaction sa;
	int i, left;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_noop;
	sigaction(SIGALRM, &sa, NULL);
	for (i = 0; i < n; i++)
		if (pid[i] > 0)
			kill(pid[i], SIGTERM);
	alarm(DRAIN_SECONDS);
	for (;;) {
		for (i = 0, left = 0; i < n; i++)
			left += pid[i] > 0;
		if (left == 0)
			break;
		if (waitpid(-1, NULL, 0) < 0 && errno == EINTR) {
			for (i = 0; i < n; i++)
				if (pid[i] > 0)
					kill(pid[i], SIGKILL);
			continue;
		}
		for (i = 0; i < n; i++)
			if (pid[i] > 0 && waitpid(pid[i], NULL, WNOHANG) != 0)
				pid[i] = 0;
	}
	alarm(0);
}

/* The workers first: the requests they hold still need the writer. */
static void
drain(struct pool *p)
{
	drain_pids(p->pid, p->n);
	drain_pids(&p->writer, 1);
}

struct opts {
	const char	*config, *listen;
	int		 workers, check;
};

static int
parse_args(int argc, char **argv, struct opts *o)
{
	char *end;
	long n;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") ==
		    0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("tipline-fcgi %s\n", TIPLINE_VERSION);
			exit(0);
		} else if (strcmp(argv[i], "--check") == 0)
			o->check = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--config") == 0)
			o->config = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--listen") == 0)
			o->listen = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--workers") == 0) {
			errno = 0;
			n = strtol(argv[++i], &end, 10);
			o->workers = errno || *end || n < 1 || n > MAX_WORKERS ?
			    0 : (int)n;
			if (o->workers == 0) {
				fprintf(stderr, "tipline-fcgi: error: --workers "
				    "takes 1 to %d\n", MAX_WORKERS);
				return -1;
			}
		} else {
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

/* Everything a worker needs, checked once before any worker starts, so
 * that a mistake stops start-up with one clear message. */
static int
prepare(struct ctx *c, struct config *cfg, const struct opts *o)
{
	char err[512];
	struct store *st;

	if (load_config(o->config ? o->config : DEFAULT_CONFIG,
	    o->config != NULL, cfg) != 0)
		return -1;
	if (o->workers > 0)
		cfg->workers = o->workers;
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->now = now_seconds;
	if (load_recipients(cfg->recipients, &c->rcpt) != 0 ||
	    load_profile(cfg, &c->prof) != 0)
		return -1;
	if (secret_load_or_create(cfg->secret, c->secret, err,
	    sizeof(err)) != 0 || page_load(&c->tmpl, cfg->templates, err,
	    sizeof(err)) != 0)
		goto fail;
	if ((st = store_open(cfg->database, cfg->busy_timeout_ms, 1,
	    err, sizeof(err))) == NULL)
		goto fail;
	/* The CLI seals status notes to the same keys as the reports. */
	if (store_put_keys(st, &c->rcpt) != 0) {
		snprintf(err, sizeof(err), "%.300s: cannot record the "
		    "recipients' public keys: %.100s (is the database "
		    "writable?)", cfg->database, store_errmsg(st));
		store_close(st);
		goto fail;
	}
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "tipline-fcgi: error: %s\n", err);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct ctx c;
	struct pool p;
	struct opts o;
	struct rlimit rl = { 0, 0 };
	struct sigaction sa;
	int lfd, i;

	/* No core dumps of report text, and no reading of a worker's
	 * memory by the service user's other processes (a core_pattern
	 * pipe may ignore RLIMIT_CORE; PR_SET_DUMPABLE holds for it too).
	 * root with CAP_SYS_PTRACE still can: test_memory.py does. */
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (sodium_init() < 0) {
		fprintf(stderr, "tipline-fcgi: error: libsodium failed\n");
		return 1;
	}
	record_init();
	umask(077);
	if (prepare(&c, &cfg, &o) != 0)
		return 1;
	if (o.check) {
		printf("tipline-fcgi: configuration ok\n");
		return 0;
	}
	if ((lfd = open_listener(o.listen)) < 0)
		return 1;
	set_signals();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;		/* no SA_RESTART: wake waitpid */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	if (pool_init(&p, cfg.workers) != 0 || guess_init(&c) != 0)
		return 1;
	spawn_writer(&p, &c, lfd);
	for (i = 0; i < p.n; i++)
		spawn(&p, i, &c, lfd);
	supervise(&p, &c, lfd);
	drain(&p);
	if (o.listen != NULL)
		unlink(o.listen + 5);
	return 0;
}
