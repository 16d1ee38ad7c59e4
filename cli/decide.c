/*
 * Notes and assignments on the case file: `tipline note REF` and
 * `tipline assign REF NAME|KEYID` write one signed event each (types
 * note and assign, docs/FORMATS.md section 9), sealed to the local team
 * file and sent at the next sync. A note's text comes from --message,
 * from standard input ("-"), or from $VISUAL / $EDITOR on a file in a
 * private directory that is wiped and removed afterwards, so that the
 * text never sits on a command line that ps or a shell history shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "team.h"

/* Up to MAX_NOTE characters of 4 bytes, and one byte more to see that
 * there is more. */
#define NOTE_CAP	(MAX_NOTE * 4 + 1)

/* Reads at most cap bytes from fd into buf (NUL-terminated); -1 when
 * there are more or on error. */
static ssize_t
read_bounded(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t k;

	while (n <= cap) {
		k = read(fd, buf + n, cap + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > cap)
		return -1;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* Trailing white space (an editor's final newline) is dropped. */
static void
trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Runs the editor on path the way git does: through the shell, so that
 * EDITOR may hold arguments. */
static void
run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	pid_t pid;
	int st;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	if ((pid = fork()) < 0)
		die("cannot start the editor: %s", strerror(errno));
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", ed, path,
		    (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("cannot wait for the editor: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("the editor failed; no note was written");
}

/* The note from $EDITOR, into buf; the file is overwritten with zeros
 * and removed, its private directory too, whatever happens. */
static void
note_from_editor(char *buf)
{
	char dir[] = "/tmp/tipline-note.XXXXXX", path[64];
	ssize_t n = -1;
	size_t i;
	int fd;

	if (mkdtemp(dir) == NULL)
		die("cannot make a private directory: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/NOTE", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600))
	    >= 0) {
		close(fd);
		run_editor(path);
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) >= 0) {
			n = read_bounded(fd, buf, NOTE_CAP);
			/* Wipe what the editor wrote before unlinking. */
			if (lseek(fd, 0, SEEK_SET) == 0)
				for (i = 0; n > 0 && i < (size_t)n; i++)
					if (write(fd, "", 1) != 1)
						break;
			fsync(fd);
			close(fd);
		}
	}
	unlink(path);
	rmdir(dir);
	if (n < 0)
		die("cannot read the note back (at most %d characters)",
		    MAX_NOTE);
}

/* The note's text: --message, "-" for standard input, or the editor. */
void
note_text(const struct opts *o, char *buf)
{
	int from_stdin = o->nargs == 2 && strcmp(o->args[1], "-") == 0;

	if (o->nargs == 2 && !from_stdin)
		usage_error("give the text with --message TEXT, '-' for "
		    "standard input, or neither for $EDITOR");
	if (o->note != NULL && from_stdin)
		usage_error("--message and '-' exclude each other");
	if (o->note != NULL) {
		if (strlen(o->note) >= NOTE_CAP)
			usage_error("a note has at most %d characters",
			    MAX_NOTE);
		memcpy(buf, o->note, strlen(o->note) + 1);
	} else if (from_stdin) {
		if (read_bounded(STDIN_FILENO, buf, NOTE_CAP) < 0)
			usage_error("- read more than %d characters or "
			    "failed", MAX_NOTE);
	} else
		note_from_editor(buf);
	trim_end(buf);
	if (buf[0] == '\0')
		die("the note is empty; nothing was written");
	if (!text_ok(buf, MAX_NOTE))
		usage_error("a note is 1 to %d printable characters", MAX_NOTE);
}

static int
found(void *ctx, const struct store_row *row)
{
	(void)ctx;
	(void)row;
	return 1;
}

/* Opens the case file and checks that it holds ref. */
struct store *
case_with(const struct opts *o, const char *ref)
{
	struct store *st;

	if (o->db != NULL)
		usage_error("notes and assignments are events: they are "
		    "written to a case file (--case), not to --db");
	if (!ref_valid(ref, strlen(ref)))
		usage_error("'%s' is not a reference", ref);
	st = case_open(o);
	if (store_get(st, ref, found, NULL) != 1)
		die("no report %s in the case file", ref);
	return st;
}

char *
sealed_part(const char *key, const char *value)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, key, json_string(value));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		die("out of memory");
	return s;
}

int
cmd_note(struct opts *o)
{
	struct seckey key;
	struct store *st;
	struct team t;
	char *buf, *plain;
	const char *ref;

	if (o->nargs < 1 || o->nargs > 2)
		usage_error("note takes a reference (and '-' for standard "
		    "input)");
	ref = o->args[0];
	team_load(o, &t);
	st = case_with(o, ref);
	if ((buf = sodium_malloc(NOTE_CAP + 1)) == NULL)
		die("out of memory");
	note_text(o, buf);
	plain = sealed_part("note", buf);
	sodium_free(buf);
	key_unlock(o, &key);
	case_write_event(st, &t, &key, EV_NOTE, ref, 0, plain);
	record_free_string(plain);
	keyfile_lock(&key);
	store_close(st);
	printf("%s: note added (signed; sent at the next sync)\n", ref);
	return 0;
}

/* The member named by name or by key id (16 hex digits). */
const struct identity *
team_lookup(const struct team *t, const char *who)
{
	unsigned char id[KEY_ID_BYTES];
	size_t i, n;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->m[i].name, who) == 0)
			return &t->m[i];
	if (strlen(who) == 2 * KEY_ID_BYTES && sodium_hex2bin(id, sizeof(id),
	    who, strlen(who), NULL, &n, NULL) == 0 && n == KEY_ID_BYTES)
		return team_find(t, id);
	return NULL;
}

int
cmd_assign(struct opts *o)
{
	char hex[2 * KEY_ID_BYTES + 1], *plain;
	const struct identity *m;
	struct seckey key;
	struct store *st;
	struct team t;
	const char *ref;

	if (o->nargs != 2)
		usage_error("assign takes a reference and an analyst");
	ref = o->args[0];
	team_load(o, &t);
	if ((m = team_lookup(&t, o->args[1])) == NULL) {
		hint("give a name or a key id from the team file");
		die("no analyst '%s' in the local team file", o->args[1]);
	}
	st = case_with(o, ref);
	sodium_bin2hex(hex, sizeof(hex), m->box.id, KEY_ID_BYTES);
	plain = sealed_part("assignee", hex);
	key_unlock(o, &key);
	case_write_event(st, &t, &key, EV_ASSIGN, ref, 0, plain);
	record_free_string(plain);
	keyfile_lock(&key);
	store_close(st);
	printf("%s: assigned to ", ref);
	safe_write(stdout, m->name, strlen(m->name), 0);
	printf(" (signed; sent at the next sync)\n");
	return 0;
}
