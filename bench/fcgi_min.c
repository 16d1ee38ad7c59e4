/*
 * fcgi_min: ceiling B of `make bench`. The least a FastCGI responder can
 * do for a report: accept on the same kind of socket as tipline-fcgi,
 * with the same number of prefork workers, read the whole POST body, and
 * answer 303. What tipline does beyond this (parse, check, seal, commit)
 * is what the benchmark's tipline/B ratio measures. Not installed, not
 * a server anyone should run.
 *
 * usage: fcgi_min unix:PATH WORKERS
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MIN_MAX_WORKERS	64

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
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
}

/* Reads and drops the whole body, as tipline must read it before it
 * can answer. Returns the byte count. */
static long
drain_body(FCGX_Stream *in)
{
	char buf[16384];
	long total = 0;
	int n;

	while ((n = FCGX_GetStr(buf, (int)sizeof(buf), in)) > 0)
		total += n;
	return total;
}

static int
worker(int lfd)
{
	FCGX_Request fr;

	FCGX_Init();
	if (FCGX_InitRequest(&fr, lfd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	while (!stop) {
		if (FCGX_Accept_r(&fr) < 0) {
			if (errno != EINTR && !stop)
				usleep(100 * 1000);	/* no busy loop */
			continue;
		}
		drain_body(fr.in);
		FCGX_PutS("Status: 303 See Other\r\n"
		    "Location: /received?ref=TL-0000-0000\r\n"
		    "Cache-Control: no-store\r\nContent-Length: 0\r\n\r\n",
		    fr.out);
		FCGX_Finish_r(&fr);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	pid_t pid[MIN_MAX_WORKERS];
	int lfd, n, i, rv = 1;

	if (argc != 3 || strncmp(argv[1], "unix:/", 6) != 0 ||
	    (n = atoi(argv[2])) < 1 || n > MIN_MAX_WORKERS) {
		fprintf(stderr, "usage: fcgi_min unix:/PATH WORKERS (1-%d)\n",
		    MIN_MAX_WORKERS);
		return 2;
	}
	unlink(argv[1] + 5);
	if ((lfd = FCGX_OpenSocket(argv[1] + 5, 128)) < 0) {
		fprintf(stderr, "fcgi_min: cannot listen on %s: %s\n",
		    argv[1] + 5, strerror(errno));
		return 1;
	}
	set_signals();
	for (i = 0; i < n; i++) {
		if ((pid[i] = fork()) == 0)
			_exit(worker(lfd));
		if (pid[i] < 0) {
			fprintf(stderr, "fcgi_min: fork: %s\n", strerror(errno));
			n = i;
			goto out;
		}
	}
	while (!stop)
		pause();
	rv = 0;
out:
	for (i = 0; i < n; i++)
		kill(pid[i], SIGTERM);
	for (i = 0; i < n; i++)
		waitpid(pid[i], NULL, 0);
	unlink(argv[1] + 5);
	return rv;
}
