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
#include "flag.h"
#include "input.h"
#include "status.h"
#include "util.h"
#include "version.h"

#define FILTERS "[--status S] [--since DAY] [--until DAY] [--type T] " \
	"[--canton C] [--search TEXT] [--flag F]... [--not-flag F]... " \
	"[--urgent] [--overdue-days N] [--due] [--reply-days N]"

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
	  "one line per report, newest first, with its flags" },
	{ "show", cmd_show, "show [--json] REF", "the whole report and its "
	  "history" },
	{ "status", cmd_status, "status REF STATUS [--note TEXT|-] [--to NAME|-]",
	  "set the status (forwarded takes --to)" },
	{ "review", cmd_review, "review [--overdue-days N]", "go through the "
	  "new reports one by one, urgent first, deciding each with one key" },
	{ "export", cmd_export, "export [--format csv|json] [--raw] "
	  "[--with-notes] [-o FILE] [--force] " FILTERS, "the reports, "
	  "decrypted, as CSV or JSON lines" },
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
	{ "forward", cmd_forward, "forward REF --recipient FILE [--to NAME] "
	  "[--note TEXT] [-o FILE] [--force]", "hand a report over to a "
	  "partner, encrypted with age, and record the routing" },
	{ "lock", cmd_lock, "lock", "forget the unlocked key now (it is kept "
	  "for --keep-unlocked, 15 minutes by default)" },
	{ "note", cmd_note, "note REF [--message TEXT | -]", "add a signed "
	  "note to a report (text from $EDITOR unless given)" },
	{ "reply", cmd_reply, "reply REF [--message TEXT | -]", "answer the "
	  "reporter (signed, sealed to the receipt and the team)" },
	{ "assign", cmd_assign, "assign REF NAME|KEYID", "assign a report to "
	  "an analyst of the team file (a signed event)" },
	{ "grant", cmd_grant, "grant NAME|KEYID", "seal the content keys of "
	  "the case file's reports to a newcomer (signed events)" },
	{ "files", cmd_files, "files REF [--extract DIR]", "list a report's "
	  "files, or write them into DIR (names made safe, never over a "
	  "file)" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* What a command's arguments are, and what its help lists from lib/'s
 * tables; a command not named here has neither. */
static const struct {
	const char	*name;
	int		 refs;	/* leading arguments that are references;
				 * -1: all of them */
	int		 more;	/* help adds: 1 the statuses, 2 the flags */
} cmd_args[] = {
	{ "list", 0, 2 },
	{ "show", 1, 2 },
	{ "status", 1, 1 },
	{ "review", 0, 2 },
	{ "export", 0, 2 },
	{ "purge", -1, 0 },
	{ "stats", 0, 2 },
	{ "forward", 1, 0 },
};
#define NCMD_ARGS (sizeof(cmd_args) / sizeof(cmd_args[0]))

static int
cmd_arg(const struct cmd *c, int more)
{
	size_t i;

	for (i = 0; i < NCMD_ARGS; i++)
		if (strcmp(cmd_args[i].name, c->name) == 0)
			return more ? cmd_args[i].more : cmd_args[i].refs;
	return 0;
}

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
	{ "--message", offsetof(struct opts, note) },
	{ "--to", offsetof(struct opts, to) },
	{ "--older-than", offsetof(struct opts, older_than) },
	{ "--name", offsetof(struct opts, name) },
	{ "--case", offsetof(struct opts, casefile) },
	{ "--team", offsetof(struct opts, team) },
	{ "--remote", offsetof(struct opts, remote) },
	{ "--ssh-config", offsetof(struct opts, ssh_config) },
	{ "--keep-unlocked", offsetof(struct opts, keep_unlocked) },
	{ "--recipient", offsetof(struct opts, recipient) },
	{ "--overdue-days", offsetof(struct opts, overdue) },
	{ "--extract", offsetof(struct opts, extract) },
	{ "--reply-days", offsetof(struct opts, reply_days) },
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
	    "TIPLINE_PASSPHRASE_FILE),\n--keep-unlocked TIME (or "
	    "TIPLINE_KEEP_UNLOCKED). 'tipline help COMMAND' for more.\n");
}

/* The lists that live in lib/'s tables, not in the help strings. */
static void
usage_more(const struct cmd *c, FILE *f)
{
	int i;

	if (cmd_arg(c, 1) == 1)
		fprintf(f, "STATUS is %s.\n", status_list());
	if (cmd_arg(c, 1) != 2)
		return;
	fprintf(f, "flags (--flag NAME, --not-flag NAME; --urgent: any "
	    "marked *):\n");
	for (i = 0; i < nflags; i++)
		fprintf(f, "  %c %-16s %s%s\n", flag_table[i].letter, flag_table[i].name,
		    flag_table[i].help, flag_table[i].urgent ? " *" : "");
}

static int
cmd_usage(const struct cmd *c, FILE *f, int rv)
{
	fprintf(f, "usage: tipline %s\n%s\n", c->usage, c->help);
	usage_more(c, f);
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
	else if (strcmp(a, "--urgent") == 0)
		o->urgent = 1;
	else if (strcmp(a, "--due") == 0)	/* --flag reply-due */
		o->flag_all |= flag_bit("reply-due");
	else if (strcmp(a, "--with-notes") == 0)
		o->with_notes = 1;
	else
		return 0;
	return 1;
}

/* --flag and --not-flag may be given more than once: every --flag must
 * be set and no --not-flag. */
static void
set_flag_filter(struct opts *o, const char *opt, const char *name)
{
	unsigned bit;

	if (name == NULL)
		usage_error("%s needs a value", opt);
	if ((bit = flag_bit(name)) == 0)
		usage_error("%s takes a flag name ('tipline help %s' lists "
		    "them)", opt, current->name);
	if (opt[2] == 'f')
		o->flag_all |= bit;
	else
		o->flag_none |= bit;
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
		if (strcmp(argv[i], "--flag") == 0 || strcmp(argv[i],
		    "--not-flag") == 0) {
			set_flag_filter(o, argv[i], i + 1 < argc ? argv[i + 1] :
			    NULL);
			i++;
			continue;
		}
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

/* A day as people type it (input.h), stored as YYYY-MM-DD. */
static const char *
day_opt(const char *opt, const char *v, char buf[11])
{
	if (v == NULL)
		return NULL;
	if (input_day(v, time(NULL), buf) != 0)
		usage_error("%s takes a day: 2026-11-30, 30.11.2026, today, "
		    "yesterday or Nd (N days ago)", opt);
	return buf;
}

/* The day n days ago, n from the option's value, else the environment
 * variable, else the default. */
static void
days_ago(const char *opt, const char *val, const char *env, long n,
    char out[11])
{
	const char *v = val ? val : getenv(env);
	char *end;

	if (v != NULL) {
		n = strtol(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || n < 1 ||
		    n > FLAG_MAX_OVERDUE_DAYS)
			usage_error("%s takes 1 to %d days", val ? opt : env,
			    FLAG_MAX_OVERDUE_DAYS);
	}
	day_utc(time(NULL) - (time_t)n * 86400, out);
}

/* The days flags compare with: before o->due a report still new is
 * overdue (--overdue-days, TIPLINE_OVERDUE_DAYS); before o->reply_due
 * an unanswered one is due (--reply-days, TIPLINE_REPLY_DAYS); a case
 * open since o->feedback_due is owed feedback. */
static void
overdue_day(struct opts *o)
{
	days_ago("--overdue-days", o->overdue, "TIPLINE_OVERDUE_DAYS",
	    FLAG_OVERDUE_DAYS, o->due);
	days_ago("--reply-days", o->reply_days, "TIPLINE_REPLY_DAYS",
	    FLAG_REPLY_DAYS, o->reply_due);
	day_utc(time(NULL) - (time_t)FLAG_FEEDBACK_DAYS * 86400,
	    o->feedback_due);
}

/* The references among the arguments, as people type them, in their
 * stored form: a typo is named before any passphrase is asked. */
static void
check_refs(struct opts *o, int count)
{
	static char refs[MAX_ARGS][REF_LEN + 1];
	int i;

	for (i = 0; i < o->nargs && (count < 0 || i < count); i++) {
		if (input_ref(o->args[i], refs[i]) != 0)
			usage_error("'%s' is not a reference (they look like "
			    "TL-7KQ2-M9XD)", o->args[i]);
		o->args[i] = refs[i];
	}
}

/* Checks the filter options once, for every command, and puts the
 * values in their stored form (ZH for zh, a day for 7d). */
static void
check_filters(struct opts *o)
{
	static char since[11], until[11];
	const char *v;

	if (o->status && status_index(o->status) < 0)
		usage_error("--status takes %s", status_list());
	o->since = day_opt("--since", o->since, since);
	o->until = day_opt("--until", o->until, until);
	if (o->type && (v = input_choice(field_find("type"), o->type)) == NULL)
		usage_error("--type takes sexual, labour, begging, criminality, "
		    "organs, smuggling or other");
	else if (o->type)
		o->type = v;
	if (o->canton && (v = input_choice(field_find("canton"), o->canton)) ==
	    NULL)
		usage_error("--canton takes a canton code (ZH, GE, ...), "
		    "abroad or unknown");
	else if (o->canton)
		o->canton = v;
	if (o->search && (o->search[0] == '\0' || !text_ok(o->search, 200)))
		usage_error("--search takes 1 to 200 printable characters");
	if (o->flag_all & o->flag_none)
		usage_error("a flag cannot be both --flag and --not-flag");
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
	check_refs(&o, cmd_arg(c, 0));
	/* Only where flags are shown: a bad TIPLINE_OVERDUE_DAYS must not
	 * stop keygen or sync. */
	if (cmd_arg(c, 1) == 2)
		overdue_day(&o);
	if (sodium_init() < 0)
		die("libsodium failed to start");
	record_init();
	return c->fn(&o);
}
