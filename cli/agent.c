/*
 * One unlock per work session: after a passphrase typed at the
 * terminal, the command forks an agent that keeps the unlocked key in
 * sodium_malloc'd (mlock'd, guarded) memory and hands it to this
 * user's later commands over a Unix socket (0600, in a 0700 directory:
 * $XDG_RUNTIME_DIR/tipline, else /tmp/tipline-UID). The agent checks
 * each peer's uid (SO_PEERCRED), is not dumpable or traceable
 * (PR_SET_DUMPABLE 0), restarts its idle timer on each use and, after
 * the idle time (--keep-unlocked, TIPLINE_KEEP_UNLOCKED; 15 minutes by
 * default) or on `tipline lock`, wipes the key and exits. Nothing is
 * ever written to disk. Why an agent and not the kernel keyring:
 * docs/THREATS.md ("One unlock per session").
 *
 * Protocol, one exchange per connection: the client sends 'K' and the
 * 8-byte key id and gets 'k', one length byte and the key's decrypted
 * form (keyfile_plain), or 'n'; or sends 'L' (and 8 bytes) and gets 'l'
 * while the agent ends.
 */
#define _GNU_SOURCE	/* struct ucred, accept4, pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "bounds.h"

#define AGENT_PREFIX	"agent-"
#define AGENT_REQ	(1 + KEY_ID_BYTES)
#define AGENT_IO_SECS	2	/* a silent peer cannot stall the agent */

/* Seconds to keep a key unlocked: --keep-unlocked, else
 * TIPLINE_KEEP_UNLOCKED, else 15 minutes. "N", "Ns", "Nm" or "Nh";
 * 0 turns the agent off (neither started nor asked). */
long
agent_idle(const struct opts *o)
{
	const char *s = o->keep_unlocked ? o->keep_unlocked :
	    getenv("TIPLINE_KEEP_UNLOCKED");
	long v = 0, unit = 1;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return DEFAULT_KEEP_UNLOCKED;
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 6; i++)
		v = v * 10 + (s[i] - '0');
	if (s[i] == 'm')
		unit = 60;
	else if (s[i] == 'h')
		unit = 3600;
	if (i == 0 || (s[i] != '\0' && (strchr("smh", s[i]) == NULL ||
	    s[i + 1] != '\0')) || v * unit > MAX_KEEP_UNLOCKED)
		usage_error("--keep-unlocked (TIPLINE_KEEP_UNLOCKED) takes a "
		    "time such as 900, 90s, 15m or 2h, at most %dh, or 0 for "
		    "never", MAX_KEEP_UNLOCKED / 3600);
	return v * unit;
}

/* The agents' directory, created 0700; -1 (and a warning) when it
 * exists but is not this user's alone: then no agent is used. */
static int
agent_dir(char *dir, size_t n)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int len;

	if (x != NULL && x[0] == '/')
		len = snprintf(dir, n, "%s/tipline", x);
	else
		len = snprintf(dir, n, "/tmp/tipline-%u", (unsigned)getuid());
	if (len < 0 || (size_t)len >= n)
		return -1;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		warnx_("%s is not a directory that only you can use; the "
		    "key is not kept unlocked", dir);
		return -1;
	}
	return 0;
}

static int
agent_addr(const unsigned char id[KEY_ID_BYTES], struct sockaddr_un *sa)
{
	char dir[sizeof(sa->sun_path)], hex[2 * KEY_ID_BYTES + 1];
	int len;

	if (agent_dir(dir, sizeof(dir)) != 0)
		return -1;
	sodium_bin2hex(hex, sizeof(hex), id, KEY_ID_BYTES);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	len = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s%s", dir,
	    AGENT_PREFIX, hex);
	return len < 0 || (size_t)len >= sizeof(sa->sun_path) ? -1 : 0;
}

static void
set_timeouts(int fd)
{
	struct timeval tv = { AGENT_IO_SECS, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The peer runs as this user (or the connection is not used). */
static int
peer_is_me(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	    len == sizeof(cr) && cr.uid == getuid();
}

static int
read_all(int fd, void *p, size_t n)
{
	return recv(fd, p, n, MSG_WAITALL) == (ssize_t)n ? 0 : -1;
}

static int
write_all(int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* A connection to the agent at sa that runs as this user, or -1. */
static int
agent_connect(const struct sockaddr_un *sa)
{
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	set_timeouts(fd);
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    !peer_is_me(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The key of sf from its agent: 0, or -1 when there is none. */
int
agent_fetch(const struct opts *o, const struct secfile *sf,
    struct seckey *key)
{
	struct sockaddr_un sa;
	unsigned char req[AGENT_REQ], head[2], *pt = NULL;
	size_t len = keyfile_plain_len(sf);
	int fd, rc = -1;

	if (agent_idle(o) == 0 || agent_addr(sf->id, &sa) != 0 ||
	    (fd = agent_connect(&sa)) < 0)
		return -1;
	req[0] = 'K';
	memcpy(req + 1, sf->id, KEY_ID_BYTES);
	if (write_all(fd, req, sizeof(req)) != 0 ||
	    read_all(fd, head, 2) != 0 || head[0] != 'k' || head[1] != len)
		goto out;
	if ((pt = sodium_malloc(len)) == NULL || read_all(fd, pt, len) != 0)
		goto out;
	/* Checked against the key file's id: a key that does not belong
	 * to this file is not used. */
	rc = keyfile_unlock_plain(sf, pt, key) == KF_OK ? 0 : -1;
out:
	sodium_free(pt);	/* wipes */
	close(fd);
	return rc;
}

/* One connection: 1 when the key was handed out, 2 on lock, else 0.
 * Another user's process gets nothing, not even an answer. */
static int
agent_serve(int c, const unsigned char *id, const unsigned char *pt,
    size_t len)
{
	unsigned char req[AGENT_REQ], head[2] = { 'k', (unsigned char)len };

	set_timeouts(c);
	if (!peer_is_me(c) || read_all(c, req, sizeof(req)) != 0)
		return 0;
	if (req[0] == 'L') {
		(void)write_all(c, "l", 1);
		return 2;
	}
	if (req[0] != 'K' || sodium_memcmp(req + 1, id, KEY_ID_BYTES) != 0) {
		(void)write_all(c, "n", 1);
		return 0;
	}
	if (write_all(c, head, 2) != 0 || write_all(c, pt, len) != 0)
		return 0;
	return 1;
}

/* CLOCK_BOOTTIME counts the time the machine was suspended: a laptop
 * closed for an hour wakes up locked. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The agent's life: answers until idle for idle seconds or locked. */
static void
agent_loop(int lfd, const unsigned char *id, const unsigned char *pt,
    size_t len, long idle)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	long long deadline = now_ms() + idle * 1000LL, left;
	int c, r;

	while ((left = deadline - now_ms()) > 0) {
		if (poll(&p, 1, left > 60000 ? 60000 : (int)left) <= 0)
			continue;
		if ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		r = agent_serve(c, id, pt, len);
		close(c);
		if (r == 2)
			break;
		if (r == 1)
			deadline = now_ms() + idle * 1000LL;
	}
}

/* Leaves the terminal's session and every inherited descriptor (a
 * pipe the caller waits on, the terminal) but the listening socket,
 * which becomes 3. */
static int
agent_detach(int lfd)
{
	struct rlimit rl;
	rlim_t fd, max = 65536;
	int nul;

	setsid();
	if (chdir("/") != 0)
		return -1;
	if ((nul = open("/dev/null", O_RDWR)) < 0 || dup2(nul, 0) < 0 ||
	    dup2(nul, 1) < 0 || dup2(nul, 2) < 0 || dup2(lfd, 3) < 0)
		return -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
		max = rl.rlim_cur;
	for (fd = 4; fd < max; fd++)
		close((int)fd);
	return 3;
}

static int
agent_listen(const struct sockaddr_un *sa, struct stat *st)
{
	mode_t old;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	unlink(sa->sun_path);	/* an agent that ended without removing it */
	old = umask(077);
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    chmod(sa->sun_path, 0600) != 0 || listen(fd, 8) != 0 ||
	    lstat(sa->sun_path, st) != 0) {
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

/* The child: takes the key into its own locked memory, drops the copy
 * inherited from the command, says it is ready on ready_fd, serves. */
static void __attribute__((noreturn))
agent_main(const struct sockaddr_un *sa, struct seckey *key, long idle,
    int ready_fd)
{
	unsigned char id[KEY_ID_BYTES], *pt;
	size_t len = key->sign_sk ? SK_BYTES + SIGN_SEED_BYTES : SK_BYTES;
	struct stat st, now;
	int lfd;

	prctl(PR_SET_DUMPABLE, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	memcpy(id, key->pub.id, KEY_ID_BYTES);
	if ((pt = sodium_malloc(len)) == NULL)
		_exit(1);
	keyfile_plain(key, pt);
	keyfile_lock(key);
	if ((lfd = agent_listen(sa, &st)) < 0) {
		sodium_free(pt);
		_exit(1);
	}
	if (write(ready_fd, "1", 1) == 1 && (lfd = agent_detach(lfd)) >= 0)
		agent_loop(lfd, id, pt, len, idle);
	sodium_free(pt);
	/* Only our own socket: a newer agent may have taken the name. */
	if (lstat(sa->sun_path, &now) == 0 && now.st_ino == st.st_ino &&
	    now.st_dev == st.st_dev)
		unlink(sa->sun_path);
	_exit(0);
}

/* After a passphrase typed at the terminal: keeps key for this user's
 * next commands. A failure only means the next command asks again. */
void
agent_start(const struct opts *o, struct seckey *key)
{
	struct sockaddr_un sa;
	long idle = agent_idle(o);
	char ok = 0;
	int p[2];
	pid_t pid;

	if (idle == 0 || agent_addr(key->pub.id, &sa) != 0 ||
	    pipe2(p, O_CLOEXEC) != 0)
		return;
	(void)fflush(NULL);	/* nothing buffered is written twice */
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		agent_main(&sa, key, idle, p[1]);
	}
	close(p[1]);
	if (read(p[0], &ok, 1) == 1 && ok == '1')
		hint("the key stays unlocked until unused for %ld %s; "
		    "'tipline lock' locks it now", idle >= 120 ? idle / 60 :
		    idle, idle >= 120 ? "minutes" : "seconds");
	close(p[0]);
}

/* Ends every agent of this user: 1 for each one that answered. */
static int
agent_end(const char *dir, const char *name)
{
	struct sockaddr_un sa;
	unsigned char req[AGENT_REQ] = { 'L' }, c;
	int fd, n;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path) ||
	    (fd = agent_connect(&sa)) < 0)
		return 0;
	n = write_all(fd, req, sizeof(req)) == 0 && read_all(fd, &c, 1) == 0 &&
	    c == 'l';
	close(fd);
	return n;
}

int
cmd_lock(struct opts *o)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (o->nargs != 0)
		usage_error("lock takes no arguments");
	/* No usable directory: no agent of ours can be running there. */
	if (agent_dir(dir, sizeof(dir)) == 0 && (d = opendir(dir)) != NULL) {
		/* One thread; readdir_r is the deprecated one. */
		/* cppcheck-suppress readdirCalled */
		while ((de = readdir(d)) != NULL)
			if (strncmp(de->d_name, AGENT_PREFIX,
			    sizeof(AGENT_PREFIX) - 1) == 0)
				n += agent_end(dir, de->d_name);
		closedir(d);
	}
	fprintf(stderr, "tipline: %s\n", n ? "locked: the next command asks "
	    "for the passphrase" : "nothing was unlocked");
	return 0;
}
