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
	const char	*keep_unlocked, *recipient;
	const char	*overdue;
	const char	*extract;	/* files --extract DIR */
	int		 json, force, dry_run, raw, urgent, with_notes;
	unsigned	 flag_all, flag_none;	/* --flag, --not-flag */
	char		 due[11];	/* undecided before this day: overdue */
	char		 reply_due[11];	/* unanswered before this day: due */
	char		 feedback_due[11];	/* no reply since this day */
	const char	*reply_days;
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

/* The agent that keeps a key unlocked for a work session (cli/agent.c):
 * agent_fetch gets the key of sf from it (0) or finds none (-1);
 * agent_start forks one after a passphrase typed at the terminal. */
long		 agent_idle(const struct opts *);
int		 agent_fetch(const struct opts *, const struct secfile *,
		    struct seckey *);
void		 agent_start(const struct opts *, struct seckey *);
int		 cmd_lock(struct opts *);
int		 cmd_forward(struct opts *);
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
	struct grants		*grants;	/* keys granted to us */
	int			 bad;	/* rows that did not open */
	int			 shown;
	unsigned		 flags;	/* the current report's (flag.h) */
	long			 answered;	/* its replies (cli/messages.c) */
	int			 tree;	/* emit reads rec->root (JSON) */
};
void		 reader_query(const struct opts *, struct store_query *);
int		 reader_run(struct reader *, const char *ref);
/* Wipes and frees the key and the plaintext buffer; closes the store. */
void		 reader_done(struct reader *);
const char	*record_value(const struct record *, const char *name);
const char	*choice_value(const struct record *, const char *name);
/* What the history says last: when the status was set and by whom (a
 * case file's signed events name their author), where the report was
 * routed and when. Pointers into hist; NULL when it does not say. */
struct summary {
	const char	*status_day, *decided_by, *routed_to, *routed_day;
};
void		 case_summary(json_t *hist, struct summary *);
/* The names of the flags in set, as a JSON array. */
json_t		*flags_json(unsigned set);
void		 json_report(struct reader *, const struct store_row *,
		    const struct record *, FILE *);
/* The status history of a report, with notes opened, as JSON. */
json_t		*history_json(struct reader *, const struct store_row *);
/* What the reporter added later (cli/messages.c), oldest first. */
json_t		*messages_json(struct reader *, const struct store_row *);
void		 print_messages(json_t *);
/* 1 if the reporter wrote since the last reply or decision (flag I). */
int		 messages_new(struct reader *, const struct store_row *);
/* 1 if the reporter is owed a reply (flag D, `list --due`); replies in
 * *answered (0 when there is none). */
int		 replies_due(struct reader *, const struct store_row *,
		    long *answered);
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
int		 cmd_note(struct opts *);
int		 cmd_reply(struct opts *);
/* A note's or a reply's text (cli/decide.c), into buf of MAX_NOTE * 4
 * + 2 bytes; the case file with ref in it. */
void		 note_text(const struct opts *, char *buf);
struct store	*case_with(const struct opts *, const char *ref);
/* {"key": value} as compact JSON, an event's sealed part; the caller
 * wipes and frees it with record_free_string. */
char		*sealed_part(const char *key, const char *value);
int		 cmd_assign(struct opts *);
int		 cmd_grant(struct opts *);
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
/* The member named by name or by key id (16 hex digits), or NULL. */
const struct identity *team_lookup(const struct team *, const char *who);
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
/* One status (or, with to, route) event by this analyst; dies on error. */
void		 case_status_event(const struct opts *, struct store *,
		    const struct seckey *, const char *ref, const char *status,
		    const char *note, const char *to);
/* Signs, stores and applies one event of this analyst; dies on error. */
/* Content keys granted to this analyst (cli/grant.c), read from the
 * case file's grant events on first use: a report (name = its ref) or
 * an event's sealed part (name = its id in hex) whose envelope lacks
 * this key opens with them. ENV_E_NOKEY when nothing was granted. */
enum env_err	 grant_open(struct reader *, const char *name,
		    const unsigned char *env, size_t n, const char *ad,
		    struct env_buf *, size_t *ptlen);
enum env_err	 grant_open_event(struct reader *, const struct event *,
		    struct env_buf *, size_t *ptlen);
void		 grants_free(struct reader *);
/* Signs, stores and applies one event of this analyst, sealed to the
 * team file (or to `to`, for a grant); dies on error. */
int		 case_write_event_to(struct store *, const struct team *,
		    const struct seckey *, int type, const char *ref,
		    int status, const char *plain, const struct recipients *to);
int		 case_write_event(struct store *, const struct team *,
		    const struct seckey *, int type, const char *ref,
		    int status, const char *plain);

/* Sets a report's status, sealing the note (and --to) to the recipients
 * recorded in the database. */
int		 set_status(const struct opts *, struct store *, const char *ref,
		    const char *status, const char *note, const char *to);

#endif
