/*
 * tipline: the secretariat's command-line tool. One binary with
 * subcommands; errors are "tipline: error: ..." on stderr with a
 * non-zero exit; core dumps are off because memory holds report text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <sodium.h>

#include "cli.h"
#include "record.h"

static const struct cmd {
	const char	*name;
	int		 (*fn)(struct opts *);
	const char	*usage;
	const char	*help;
} cmds[] = {
	{ "keygen", cmd_keygen, "keygen [-o NAME] [--passphrase-file FILE]",
	  "create a key pair: NAME.key (secret) and NAME.pub (public)" },
	{ "pubkey", cmd_pubkey, "pubkey [--key FILE]",
	  "print the public key of a secret key file" },
	{ "list", cmd_list, "list [--json] [--db FILE] [--key FILE]",
	  "one line per report, newest first" },
	{ "show", cmd_show, "show [--json] [--db FILE] [--key FILE] REF",
	  "the whole report" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void __attribute__((format(printf, 2, 0)))
vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "tipline: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
	exit(1);
}

void
warnx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

void
hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("hint", fmt, ap);
	va_end(ap);
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: tipline COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nCommon options: --db FILE (or TIPLINE_DB), --key FILE "
	    "(or TIPLINE_KEY),\n--passphrase-file FILE (or "
	    "TIPLINE_PASSPHRASE_FILE). 'tipline help COMMAND' for more.\n");
}

static int
cmd_usage(const struct cmd *c, FILE *f, int rv)
{
	fprintf(f, "usage: tipline %s\n%s\n", c->usage, c->help);
	return rv;
}

static const struct cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* Options may come before or after positional arguments. */
static int
parse_opts(int argc, char **argv, struct opts *o, const struct cmd *c)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			exit(cmd_usage(c, stdout, 0));
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(a, "--db") == 0)
			slot = &o->db;
		else if (strcmp(a, "--key") == 0)
			slot = &o->key;
		else if (strcmp(a, "--passphrase-file") == 0)
			slot = &o->passfile;
		else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0)
			slot = &o->out;
		if (slot != NULL) {
			if (i + 1 >= argc)
				return -1;
			*slot = argv[++i];
		} else if (a[0] == '-' || o->nargs == 4)
			return -1;
		else
			o->args[o->nargs++] = argv[i];
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rlimit rl = { 0, 0 };
	const struct cmd *c;
	struct opts o;

	setrlimit(RLIMIT_CORE, &rl);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3 || (c = find_cmd(argv[2])) == NULL) {
			usage(stdout);
			return argc < 3 ? 0 : EXIT_USAGE;
		}
		return cmd_usage(c, stdout, 0);
	}
	if ((c = find_cmd(argv[1])) == NULL) {
		fprintf(stderr, "tipline: error: unknown command '%s'\n",
		    argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	memset(&o, 0, sizeof(o));
	if (parse_opts(argc - 2, argv + 2, &o, c) != 0)
		return cmd_usage(c, stderr, EXIT_USAGE);
	if (sodium_init() < 0)
		die("libsodium failed to start");
	record_init();
	return c->fn(&o);
}
