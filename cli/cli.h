/*
 * The secretariat's tool: shared declarations of its subcommands and
 * the helpers they use (options, passphrase, key, database, reading
 * reports with filters, terminal-safe output).
 */
#ifndef TIPLINE_CLI_H
#define TIPLINE_CLI_H

#include <stdio.h>

#include "event.h"
#include "keyfile.h"
#include "record.h"
#include "store.h"

#define MAX_ARGS	64	/* positional arguments (references) */
#define MAX_NOTE	2000	/* characters of a status note */
#define MAX_TO		200	/* characters of a --to name */

struct opts {
	const char	*db, *key, *passfile, *newpassfile, *out, *format;
	const char	*status, *since, *until, *type, *canton, *search;
	const char	*note, *to, *older_than, *name;
	const char	*casefile, *team, *remote, *ssh_config;
	const char	*extract;	/* files --extract DIR */
	int		 json, force, dry_run, raw;
	char		*args[MAX_ARGS];	/* positional arguments */
	int		 nargs;
};

/* Exit codes: 0 success, 1 failure (not found, did not verify, cannot
 * be done), 2 usage error. */
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* A file die() removes before exiting: a half-written export. */
extern const char *die_unlink;

void		 die(const char *fmt, ...) __attribute__((noreturn,
		    format(printf, 1, 2)));
void		 usage_error(const char *fmt, ...) __attribute__((noreturn,
		    format(printf, 1, 2)));
void		 warnx_(const char *fmt, ...) __attribute__((format(printf,
		    1, 2)));
void		 hint(const char *fmt, ...) __attribute__((format(printf, 1,
		    2)));

/* Reads a passphrase (file, or terminal without echo) into sodium
 * memory; twice and compared when confirm is set. */
char		*passphrase_get(const struct opts *, int confirm,
		    size_t *len, const char *prompt);
const char	*key_path(const struct opts *);
void		 key_unlock(const struct opts *, struct seckey *);
struct store	*db_open(const struct opts *);
void		 today(char day[11]);

/* Reading reports: each row that passes the plaintext query is opened,
 * parsed and matched against the filters in opts; emit gets it. */
struct reader;
typedef int	 (*emit_fn)(struct reader *, const struct store_row *,
		    const struct record *);
struct reader {
	const struct opts	*o;
	struct store		*st;
	struct seckey		 key;
	struct env_buf		 buf;	/* plaintexts, reused row to row */
	emit_fn			 emit;
	void			*ctx;
	int			 bad;	/* rows that did not open */
	int			 shown;
};
void		 reader_query(const struct opts *, struct store_query *);
int		 reader_run(struct reader *, const char *ref);
/* Wipes and frees the key and the plaintext buffer; closes the store. */
void		 reader_done(struct reader *);
const char	*record_value(const struct record *, const char *name);
const char	*choice_value(const struct record *, const char *name);
void		 json_report(struct reader *, const struct store_row *,
		    const struct record *, FILE *);
/* The status history of a report, with notes opened, as JSON. */
json_t		*history_json(struct reader *, const struct store_row *);
void		 print_report(struct reader *, const struct store_row *,
		    const struct record *);

/* Writes s[0..n) so that a terminal shows it and does nothing else:
 * control, bidi and invalid bytes become visible escapes. */
void		 safe_write(FILE *, const char *s, size_t n, int multiline);
int		 text_ok(const char *s, size_t max);
/* Writes j as one line of printable ASCII: everything else, C1 and DEL
 * included, as \uXXXX escapes (RFC 8259), so a terminal or a script
 * that echoes it sees nothing it could act on. */
void		 json_print(FILE *, json_t *, size_t flags);
/* A JSON string of a clear column: invalid UTF-8 (a planted value)
 * becomes U+FFFD instead of making the whole object fail. */
json_t		*json_clear(const char *s);

int		 cmd_keygen(struct opts *);
int		 cmd_pubkey(struct opts *);
int		 cmd_passwd(struct opts *);
int		 cmd_list(struct opts *);
int		 cmd_show(struct opts *);
int		 cmd_status(struct opts *);
int		 cmd_review(struct opts *);
int		 cmd_export(struct opts *);
int		 cmd_purge(struct opts *);
int		 cmd_stats(struct opts *);
int		 cmd_verify(struct opts *);
int		 cmd_sync(struct opts *);
int		 cmd_files(struct opts *);

/* Attachments (cli/files.c): listed in show, in JSON (NULL when the
 * report has none), every chunk checked by verify (rd->bad counts). */
void		 files_print(struct reader *, const struct store_row *);
json_t		*files_json(struct reader *, const struct store_row *);
void		 files_verify(struct reader *, const struct store_row *);

/* The case file (cli/case.c): a tipline database on the workstation,
 * opened (and created) from --case or TIPLINE_CASE; the local team
 * file from --team or TIPLINE_TEAM. */
struct team;
struct sqlite3;
const char	*case_path(const struct opts *);
struct store	*case_open(const struct opts *);
void		 team_load(const struct opts *, struct team *);
/* Adds a pulled or written event inside the caller's transaction,
 * after checking it against the local team file and its author's
 * chain, and applies its effect. NULL (and *added 0 or 1) when taken
 * or already held; else why it was not taken. */
const char	*case_add_event(struct sqlite3 *, const struct team *,
		    const unsigned char *p, size_t n, int *added);
int		 case_has_event(struct sqlite3 *, const unsigned char id[32]);
/* tipline status and purge on a case file: signed events. */
int		 case_status(const struct opts *, const char *ref,
		    const char *status, const char *note, const char *to);
int		 case_purge(const struct opts *);
/* Signs, stores and applies one event of this analyst; dies on error. */
int		 case_write_event(struct store *, const struct team *,
		    const struct seckey *, int type, const char *ref,
		    int status, const char *plain);

/* Sets a report's status, sealing the note (and --to) to the recipients
 * recorded in the database. */
int		 set_status(const struct opts *, struct store *, const char *ref,
		    const char *status, const char *note, const char *to);

#endif
