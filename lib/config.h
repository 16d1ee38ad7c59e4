/*
 * tipline-fcgi's configuration file: "key = value" lines, '#' comments.
 * Every key has a default; deploy/tipline.conf documents each one.
 * config_parse is pure so that the fuzzer can call it.
 */
#ifndef TIPLINE_CONFIG_H
#define TIPLINE_CONFIG_H

#include <stddef.h>

#define CONFIG_PATH_MAX 1024

struct config {
	char	database[CONFIG_PATH_MAX];
	char	recipients[CONFIG_PATH_MAX];
	char	secret[CONFIG_PATH_MAX];
	char	templates[CONFIG_PATH_MAX];
	/* The deployment profile; "" is templates/profiles/ch.profile. */
	char	profile[CONFIG_PATH_MAX];
	int	workers;
	long	token_min_age;		/* seconds */
	long	token_max_age;		/* seconds */
	int	busy_timeout_ms;
	long long max_db_size;		/* bytes */
	int	envelope_version;	/* 2; 1 for old readers, and the bench */
	int	retention_days;		/* 0: reports stay until purged */
	/* Attachments: at most the bounds header's MAX_FILES,
	 * MAX_FILE_BYTES and MAX_FILES_BYTES (a config can only lower
	 * them, as nginx's client_max_body_size matches the bounds); 0
	 * files turns attachments off. */
	int	max_files;
	long long max_file_bytes;	/* bytes */
	long long max_files_bytes;	/* bytes, all files of a report */
};

void	config_defaults(struct config *);
/* 0 on success; else the 1-based number of the bad line, with a message
 * (naming the fix) in err. */
size_t	config_parse(const char *text, size_t n, struct config *, char *err,
	    size_t errlen);

#endif
