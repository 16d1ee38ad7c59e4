/*
 * tipline: the secretariat's command-line tool. One binary with
 * subcommands; errors are "tipline: error: ..." on stderr with a
 * non-zero exit; core dumps are off because memory holds report text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "fields.h"
#include "util.h"
#include "version.h"

#define FILTERS "[--status S] [--since DAY] [--until DAY] [--type T] " \
	"[--canton C] [--search TEXT]"

static const struct cmd {
	const char	*name;
	int		 (*fn)(struct opts *);
	const char	*usage;
	const char	*help;
} cmds[] = {
	{ "keygen", cmd_keygen, "keygen [--name NAME] [-o BASE] "
	  "[--passphrase-file FILE]",
	  "create a key: BASE.key (secret) and BASE.pub (public; with "
	  "--name, an analyst identity for the team file)" },
	{ "pubkey", cmd_pubkey, "pubkey [--key FILE]",
	  "print the public key (or identity line) of a secret key file" },
	{ "passwd", cmd_passwd, "passwd [--key FILE] [--new-passphrase-file "
	  "FILE] [--name NAME]",
	  "change the passphrase of a secret key file; --name upgrades a v1 "
	  "key to an identity" },
	{ "list", cmd_list, "list [--json] " FILTERS,
	  "one line per report, newest first" },
	{ "show", cmd_show, "show [--json] REF", "the whole report and its "
	  "history" },
	{ "status", cmd_status, "status REF STATUS [--note TEXT|-] [--to NAME|-]",
	  "set the status: new, in-review, forwarded (with --to), closed, "
	  "spam" },
	{ "review", cmd_review, "review", "go through the new reports one "
	  "by one, deciding each with one key" },
	{ "export", cmd_export, "export [--format csv|json] [--raw] [-o FILE] "
	  "[--force] " FILTERS, "the reports, decrypted, as CSV or JSON lines" },
	{ "purge", cmd_purge, "purge [--dry-run] (--status S --older-than "
	  "Nd | REF...)", "delete reports for good" },
	{ "stats", cmd_stats, "stats [--json] " FILTERS,
	  "counts per status, type, canton, month and week" },
	{ "verify", cmd_verify, "verify", "check the database and open every "
	  "envelope with the key" },
	{ "sync", cmd_sync, "sync --remote local:CONFIG|ssh://USER@HOST[:PORT] "
	  "[--case FILE] [--team FILE] [--ssh-config FILE] [--json]",
	  "pull new reports and events from a relay into the case file, "
	  "push the case file's new events" },
	{ "files", cmd_files, "files REF [--extract DIR]", "list a report's "
	  "files, or write them into DIR (names made safe, never over a "
	  "file)" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Options that take a value, and where it goes. */
static const struct {
	const char	*name;
	size_t		 off;
} valopts[] = {
	{ "--db", offsetof(struct opts, db) },
	{ "--key", offsetof(struct opts, key) },
	{ "--passphrase-file", offsetof(struct opts, passfile) },
	{ "--new-passphrase-file", offsetof(struct opts, newpassfile) },
	{ "-o", offsetof(struct opts, out) },
	{ "--out", offsetof(struct opts, out) },
	{ "--format", offsetof(struct opts, format) },
	{ "--status", offsetof(struct opts, status) },
	{ "--since", offsetof(struct opts, since) },
	{ "--until", offsetof(struct opts, until) },
	{ "--type", offsetof(struct opts, type) },
	{ "--canton", offsetof(struct opts, canton) },
	{ "--search", offsetof(struct opts, search) },
	{ "--note", offsetof(struct opts, note) },
	{ "--to", offsetof(struct opts, to) },
	{ "--older-than", offsetof(struct opts, older_than) },
	{ "--name", offsetof(struct opts, name) },
	{ "--case", offsetof(struct opts, casefile) },
	{ "--team", offsetof(struct opts, team) },
	{ "--remote", offsetof(struct opts, remote) },
	{ "--ssh-config", offsetof(struct opts, ssh_config) },
	{ "--extract", offsetof(struct opts, extract) },
};
#define NVALOPTS (sizeof(valopts) / sizeof(valopts[0]))

static const struct cmd *current;
const char *die_unlink;

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
	if (die_unlink != NULL)
		unlink(die_unlink);
	exit(EXIT_FAIL);
}

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
	if (current != NULL)
		fprintf(stderr, "usage: tipline %s\n", current->usage);
	exit(EXIT_USAGE);
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

	fprintf(f, "usage: tipline COMMAND [OPTIONS]\n       tipline --version\n"
	    "\ncommands:\n");
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

static int
set_flag(struct opts *o, const char *a)
{
	if (strcmp(a, "--json") == 0)
		o->json = 1;
	else if (strcmp(a, "--force") == 0)
		o->force = 1;
	else if (strcmp(a, "--dry-run") == 0)
		o->dry_run = 1;
	else if (strcmp(a, "--raw") == 0)
		o->raw = 1;
	else
		return 0;
	return 1;
}

/* Options may come before or after positional arguments. */
static void
parse_opts(int argc, char **argv, struct opts *o, const struct cmd *c)
{
	size_t k;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			exit(cmd_usage(c, stdout, 0));
		if (set_flag(o, argv[i]))
			continue;
		for (k = 0; k < NVALOPTS; k++)
			if (strcmp(argv[i], valopts[k].name) == 0)
				break;
		if (k < NVALOPTS) {
			if (i + 1 >= argc)
				usage_error("%s needs a value", argv[i]);
			*(const char **)((char *)o + valopts[k].off) = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			usage_error("unknown option %s", argv[i]);
		else if (o->nargs == MAX_ARGS)
			usage_error("too many arguments");
		else
			o->args[o->nargs++] = argv[i];
	}
}

/* A calendar day "YYYY-MM-DD" that exists (2026-02-30 does not). */
static int
valid_day(const char *s)
{
	struct tm tm;
	char back[11];
	int i;

	if (strlen(s) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = 12;
	day_utc(timegm(&tm), back);
	return strcmp(back, s) == 0;
}

/* Checks the filter options once, for every command. */
static void
check_filters(const struct opts *o)
{
	if (o->status && !store_valid_status(o->status))
		usage_error("--status takes new, in-review, forwarded, closed "
		    "or spam");
	if ((o->since && !valid_day(o->since)) || (o->until &&
	    !valid_day(o->until)))
		usage_error("--since and --until take a day, YYYY-MM-DD");
	if (o->type && !field_choice_label(field_find("type"), o->type))
		usage_error("--type takes sexual, labour, begging, criminality, "
		    "organs, smuggling or other");
	if (o->canton && !field_choice_label(field_find("canton"), o->canton))
		usage_error("--canton takes a canton code (ZH, GE, ...), "
		    "abroad or unknown");
	if (o->search && (o->search[0] == '\0' || !text_ok(o->search, 200)))
		usage_error("--search takes 1 to 200 printable characters");
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
	if (strcmp(argv[1], "--version") == 0) {
		printf("tipline %s\n", TIPLINE_VERSION);
		return 0;
	}
	if ((c = find_cmd(argv[1])) == NULL) {
		fprintf(stderr, "tipline: error: unknown command '%s'\n",
		    argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	current = c;
	memset(&o, 0, sizeof(o));
	parse_opts(argc - 2, argv + 2, &o, c);
	check_filters(&o);
	if (sodium_init() < 0)
		die("libsodium failed to start");
	record_init();
	return c->fn(&o);
}
