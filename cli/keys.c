/*
 * Keys and passphrases for the CLI: keygen, pubkey, unlocking the
 * secret key, and reading a passphrase from a file or from the terminal
 * with echo off. Passphrases live in sodium_malloc'd memory only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "bounds.h"
#include "team.h"
#include "utf8.h"
#include "util.h"

/* Argon2id cost for new key files: libsodium's "moderate" (256 MiB,
 * about a second): unlocking is rare, guessing must be expensive. */
#define KEY_OPSLIMIT	crypto_pwhash_OPSLIMIT_MODERATE
#define KEY_MEMLIMIT	crypto_pwhash_MEMLIMIT_MODERATE

/* Reads one line from fd into p (capacity MAX_PASSPHRASE + 1). */
static size_t
read_line(int fd, char *p)
{
	size_t n = 0;
	char ch;

	while (n <= MAX_PASSPHRASE && read(fd, &ch, 1) == 1 && ch != '\n')
		p[n++] = ch;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > MAX_PASSPHRASE)
		die("passphrase longer than %d bytes", MAX_PASSPHRASE);
	p[n] = '\0';
	return n;
}

static size_t
ask(const char *prompt, char *p)
{
	struct termios old, noecho;
	size_t n;
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
		hint("no terminal to ask for the passphrase; use "
		    "--passphrase-file FILE or TIPLINE_PASSPHRASE_FILE");
		die("cannot read a passphrase");
	}
	if (tcgetattr(fd, &old) != 0)
		die("cannot use the terminal: %s", strerror(errno));
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	/* Echo off (and what was typed before discarded) before the
	 * prompt shows: a passphrase typed as soon as it appears is
	 * neither echoed nor thrown away. */
	tcsetattr(fd, TCSAFLUSH, &noecho);
	if (write(fd, prompt, strlen(prompt)) < 0)
		die("cannot use the terminal: %s", strerror(errno));
	n = read_line(fd, p);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		n = 0;
	close(fd);
	return n;
}

/* A passphrase from file (its first line), or asked on the terminal
 * (twice when confirm is set), in sodium memory. */
static char *
passphrase_read(const char *file, int confirm, size_t *len,
    const char *prompt)
{
	char *p, *again;
	int fd;

	if ((p = sodium_malloc(MAX_PASSPHRASE + 2)) == NULL)
		die("out of memory");
	if (file != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			die("cannot read passphrase file %s: %s", file,
			    strerror(errno));
		*len = read_line(fd, p);
		close(fd);
	} else {
		*len = ask(prompt, p);
		if (confirm) {
			if ((again = sodium_malloc(MAX_PASSPHRASE + 2)) == NULL)
				die("out of memory");
			if (ask("Again: ", again) != *len ||
			    sodium_memcmp(p, again, *len) != 0)
				die("the passphrases differ");
			sodium_free(again);
		}
	}
	if (*len == 0)
		die("empty passphrase");
	return p;
}

/* A new passphrase guards every report: at least MIN_PASSPHRASE
 * characters (code points, so that 12 umlauts count as 12), unless
 * TIPLINE_WEAK_PASSPHRASE_OK=1 says this is a demo or a test. */
static void
passphrase_check_new(const char *p, size_t len)
{
	const char *weak = getenv("TIPLINE_WEAK_PASSPHRASE_OK");
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, k, cnt = 0;
	uint32_t cp;

	if (weak != NULL && strcmp(weak, "1") == 0)
		return;
	while (i < len) {
		k = utf8_next(u + i, len - i, &cp);
		i += k ? k : 1;
		cnt++;
	}
	if (cnt < MIN_PASSPHRASE) {
		hint("TIPLINE_WEAK_PASSPHRASE_OK=1 allows a shorter one, for "
		    "demos and tests only");
		die("the new passphrase must be at least %d characters",
		    MIN_PASSPHRASE);
	}
}

char *
passphrase_get(const struct opts *o, int confirm, size_t *len,
    const char *prompt)
{
	return passphrase_read(o->passfile ? o->passfile :
	    getenv("TIPLINE_PASSPHRASE_FILE"), confirm, len, prompt);
}

const char *
key_path(const struct opts *o)
{
	const char *k = o->key ? o->key : getenv("TIPLINE_KEY");

	if (k == NULL) {
		hint("give the secret key with --key FILE or TIPLINE_KEY");
		die("no secret key");
	}
	return k;
}

/* Unlocks the key: from the agent when one holds it (unless
 * use_agent is 0), else with the passphrase; one typed at the terminal
 * starts an agent, so that the session's next commands do not ask. */
static void
key_unlock_with(const struct opts *o, struct seckey *key, int use_agent)
{
	const char *path = key_path(o);
	struct secfile sf;
	struct stat st;
	enum kf_err e;
	char *text, *pass;
	size_t n, line, plen;
	int typed;

	if ((e = keyfile_slurp(path, MAX_KEYFILE, &text, &n)) != KF_OK)
		die("%s: %s", path, keyfile_strerror(e));
	e = keyfile_parse_secret(text, n, &sf, &line);
	sodium_memzero(text, n);
	free(text);
	if (e != KF_OK)
		die("%s:%zu: %s", path, line, e == KF_E_FORMAT ? "not a "
		    "tipline secret key file" : keyfile_strerror(e));
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		warnx_("%s is readable by others; chmod 600 it", path);
	if (use_agent && agent_fetch(o, &sf, key) == 0)
		return;
	typed = o->passfile == NULL && getenv("TIPLINE_PASSPHRASE_FILE") ==
	    NULL;
	pass = passphrase_get(o, 0, &plen, "Passphrase: ");
	e = keyfile_unlock(&sf, pass, plen, key);
	sodium_free(pass);
	if (e != KF_OK)
		die("%s: %s", path, keyfile_strerror(e));
	if (use_agent && typed)
		agent_start(o, key);
}

void
key_unlock(const struct opts *o, struct seckey *key)
{
	key_unlock_with(o, key, 1);
}

int
cmd_keygen(struct opts *o)
{
	const char *base = o->out ? o->out : "tipline";
	char sk[4096], pk[4096], *pass;
	size_t plen;
	enum kf_err e;

	snprintf(sk, sizeof(sk), "%s.key", base);
	snprintf(pk, sizeof(pk), "%s.pub", base);
	if (access(sk, F_OK) == 0 || access(pk, F_OK) == 0)
		die("%s or %s exists; refusing to overwrite a key", sk, pk);
	if (o->name != NULL && !identity_name_ok(o->name, strlen(o->name)))
		usage_error("--name takes 1 to %d printable characters with no "
		    "space at either end", MAX_NAME);
	pass = passphrase_get(o, 1, &plen, "New passphrase: ");
	passphrase_check_new(pass, plen);
	if (o->name != NULL)
		e = keyfile_create_identity(sk, pk, o->name, pass, plen,
		    KEY_OPSLIMIT, KEY_MEMLIMIT);
	else
		e = keyfile_create(sk, pk, pass, plen, KEY_OPSLIMIT,
		    KEY_MEMLIMIT);
	sodium_free(pass);
	if (e != KF_OK)
		die("cannot create %s and %s: %s", sk, pk, keyfile_strerror(e));
	if (o->name != NULL)
		fprintf(stderr, "tipline: secret key: %s (keep it off the "
		    "server, with its passphrase)\ntipline: identity: %s (add "
		    "its line to the team file, on the server and on every "
		    "workstation)\n", sk, pk);
	else
		fprintf(stderr, "tipline: secret key: %s (keep it off the "
		    "server, with its passphrase)\ntipline: public key: %s "
		    "(install it as the server's recipients file)\n", sk, pk);
	return 0;
}

void
today(char day[11])
{
	day_utc(time(NULL), day);
}

int
cmd_pubkey(struct opts *o)
{
	struct identity id;
	struct seckey key;
	char line[MAX_LINE + 1];

	key_unlock(o, &key);
	if (key.sign_sk != NULL) {
		keyfile_identity(&key, &id);
		identity_format(&id, line, sizeof(line));
	} else
		keyfile_format_public(&key.pub, line, sizeof(line));
	keyfile_lock(&key);
	printf("%s\n", line);
	return 0;
}

int
cmd_passwd(struct opts *o)
{
	struct seckey key;
	char *pass;
	size_t plen;
	enum kf_err e;

	if (o->nargs != 0)
		usage_error("passwd takes no arguments");
	if (o->name != NULL && !identity_name_ok(o->name, strlen(o->name)))
		usage_error("--name takes 1 to %d printable characters with no "
		    "space at either end", MAX_NAME);
	/* The old passphrase, always: an unlocked session is not enough
	 * to change what guards the key file. */
	key_unlock_with(o, &key, 0);
	/* --name: a v1 key becomes an identity with the same X25519 key
	 * (every envelope still opens) and a new signing key. */
	if (o->name != NULL && (e = keyfile_upgrade(&key, o->name)) != KF_OK) {
		keyfile_lock(&key);
		die("%s: %s", key_path(o), e == KF_E_EXISTS ? "already an "
		    "identity (v2); its name cannot change" :
		    keyfile_strerror(e));
	}
	/* The new passphrase: from its own file, or the terminal, twice;
	 * never from TIPLINE_PASSPHRASE_FILE, which holds the old one. */
	pass = passphrase_read(o->newpassfile, 1, &plen, "New passphrase: ");
	passphrase_check_new(pass, plen);
	e = keyfile_rewrite(key_path(o), &key, pass, plen, KEY_OPSLIMIT,
	    KEY_MEMLIMIT);
	sodium_free(pass);
	keyfile_lock(&key);
	if (e != KF_OK)
		die("%s: %s; the old file is unchanged", key_path(o),
		    keyfile_strerror(e));
	fprintf(stderr, "tipline: %s: %s\n", key_path(o), o->name ?
	    "now an identity (v2); 'tipline pubkey' prints its team file line" :
	    "passphrase changed");
	return 0;
}
