/*
 * tipline forward: hands one report over to a partner (cantonal police,
 * victim support) encrypted with age (age-encryption.org/v1), so that
 * the partner needs nothing of ours, only age and their age key. The
 * report goes as one JSON object (man page, FORWARDING) through a pipe
 * into an `age -R FILE` child; only the ciphertext reaches a file or
 * standard output. The routing is recorded only after age succeeded:
 * a signed route event on a case file, else the legacy status path.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "bounds.h"
#include "util.h"

#define FORWARD_FORMAT	"tipline-forward-1"
#define NAME_TAG	"# name:"

/* The partner's name from a "# name: NAME" comment line of the age
 * recipients file (age ignores comments), into name; 0 or -1. */
static int
recipient_name(const char *path, char *name, size_t n)
{
	char line[MAX_LINE + 2], *s, *e;
	FILE *f;
	int rc = -1;

	if ((f = fopen(path, "re")) == NULL)
		die("cannot read the recipients file %s: %s", path,
		    strerror(errno));
	while (rc != 0 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, NAME_TAG, sizeof(NAME_TAG) - 1) != 0)
			continue;
		for (s = line + sizeof(NAME_TAG) - 1; *s == ' ' || *s == '\t';
		    s++)
			;
		e = s + strcspn(s, "\r\n");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (*s != '\0' && (size_t)(e - s) < n) {
			memcpy(name, s, (size_t)(e - s) + 1);
			rc = 0;
		}
	}
	(void)fclose(f);	/* read only: nothing to lose */
	return rc;
}

static int
exists(void *ctx, const struct store_row *row)
{
	(void)ctx;
	(void)row;
	return 1;
}

/* The plaintext: what the partner reads after age -d. */
static int
forward_row(struct reader *rd, const struct store_row *row,
    const struct record *rec)
{
	json_t *o = json_object();

	json_object_set_new(o, "format", json_string(FORWARD_FORMAT));
	json_object_set_new(o, "ref", json_clear(row->ref));
	json_object_set_new(o, "day", json_clear(row->day));
	json_object_set(o, "record", rec->root);
	json_print(rd->ctx, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return 1;
}

/* Starts age -R recipients with its stdout on out; *in gets its stdin. */
static pid_t
age_start(const char *recipients, int out, FILE **in)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		die("cannot make a pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		die("cannot start age: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(p[0], 0) < 0 || dup2(out, 1) < 0)
			_exit(127);
		execlp("age", "age", "--encrypt", "-R", recipients,
		    (char *)NULL);
		fprintf(stderr, "tipline: error: cannot run age: %s\n",
		    strerror(errno));
		hint("install it: apt-get install age");
		_exit(127);
	}
	close(p[0]);
	if ((*in = fdopen(p[1], "w")) == NULL)
		die("out of memory");
	return pid;
}

/* The output: -o FILE (new, 0600; replaced only with --force), else
 * standard output when it is not a terminal. */
static int
open_out(const struct opts *o)
{
	int fd, fl = O_WRONLY | O_CREAT | O_CLOEXEC;

	if (o->out == NULL) {
		if (isatty(STDOUT_FILENO))
			usage_error("the ciphertext does not belong on a "
			    "terminal: give -o FILE or redirect the output");
		return STDOUT_FILENO;
	}
	fl |= o->force ? O_TRUNC : O_EXCL;
	if ((fd = open(o->out, fl, 0600)) < 0)
		die("cannot create %s: %s%s", o->out, strerror(errno),
		    errno == EEXIST ? " (--force replaces it)" : "");
	if (fchmod(fd, 0600) != 0)
		die("%s: %s", o->out, strerror(errno));
	die_unlink = o->out;
	return fd;
}

/* Encrypts the report for the recipients; dies, removing -o FILE, when
 * age fails, before anything is recorded. */
static void
forward_encrypt(struct reader *rd, const char *ref, int out)
{
	struct sigaction sa, old;
	FILE *in;
	pid_t pid;
	int st, rc;

	/* age may end early (a bad recipients file): a write then fails
	 * with EPIPE instead of killing us before we can say why. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old);
	pid = age_start(rd->o->recipient, out, &in);
	rd->ctx = in;
	rc = reader_run(rd, ref);
	rc = (fclose(in) != 0 && rc == 1) ? -2 : rc;
	sigaction(SIGPIPE, &old, NULL);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 127)
			hint("the recipients file holds the partner's age "
			    "public key (age1...), one per line");
		die("age did not encrypt %s for %s; nothing was recorded", ref,
		    rd->o->recipient);
	}
	if (rc != 1 || rd->bad)
		die("cannot read %s; nothing was recorded", ref);
	if (out != STDOUT_FILENO && (fsync(out) != 0 || close(out) != 0))
		die("cannot write %s: %s", rd->o->out, strerror(errno));
}

int
cmd_forward(struct opts *o)
{
	char name[MAX_TO + 1];
	const char *ref, *to;
	struct reader rd;
	int out, rc;

	if (o->nargs != 1 || o->recipient == NULL)
		usage_error("forward takes one reference and --recipient FILE");
	ref = o->args[0];
	if (!ref_valid(ref, strlen(ref)))
		usage_error("'%s' is not a reference", ref);
	if (o->note != NULL && (o->note[0] == '\0' ||
	    !text_ok(o->note, MAX_NOTE)))
		usage_error("--note takes 1 to %d printable characters",
		    MAX_NOTE);
	if (o->to == NULL && recipient_name(o->recipient, name,
	    sizeof(name)) != 0)
		usage_error("%s has no '# name: NAME' line; give --to NAME",
		    o->recipient);
	to = o->to ? o->to : name;
	if (to[0] == '\0' || strchr(to, '\n') != NULL || !text_ok(to, MAX_TO))
		usage_error("the partner's name takes 1 to %d printable "
		    "characters on one line", MAX_TO);
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.st = db_open(o);
	if (store_get(rd.st, ref, exists, NULL) != 1)
		die("no report %s", ref);
	rd.emit = forward_row;
	rd.tree = 1;
	key_unlock(o, &rd.key);	/* before age runs or a file exists */
	out = open_out(o);
	forward_encrypt(&rd, ref, out);
	/* The file stays only with its routing: if recording dies, die()
	 * removes it (on standard output the message says so). */
	if (o->db == NULL && case_path(o) != NULL)
		case_status_event(o, rd.st, &rd.key, ref, "forwarded", o->note,
		    to), rc = 0;
	else
		rc = set_status(o, rd.st, ref, "forwarded", o->note, to);
	reader_done(&rd);
	if (rc != 0)
		die("%s: the routing was not recorded%s", ref, o->out ? "" :
		    "; discard the output");
	die_unlink = NULL;
	fprintf(stderr, "tipline: %s: forwarded to %s (encrypted with age%s"
	    "%s)\n", ref, to, o->out ? " into " : "", o->out ? o->out : "");
	return 0;
}
