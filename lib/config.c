/*
 * Configuration parsing. Strict: an unknown key, a missing '=', an empty
 * value or a number out of range stops start-up with the line number,
 * because a typo in a security setting must not be silently ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "bounds.h"
#include "util.h"

#ifndef TIPLINE_DATADIR
#define TIPLINE_DATADIR "/usr/local/share/tipline"
#endif

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->database, sizeof(c->database), "/var/lib/tipline/tips.db");
	snprintf(c->recipients, sizeof(c->recipients),
	    "/etc/tipline/recipients");
	snprintf(c->secret, sizeof(c->secret),
	    "/var/lib/tipline/server.secret");
	snprintf(c->templates, sizeof(c->templates), "%s/html",
	    TIPLINE_DATADIR);
	c->workers = 8;	/* group commit: a batch is one row per worker */
	c->token_min_age = 3;
	c->token_max_age = 24 * 3600;
	c->busy_timeout_ms = 5000;
	c->max_db_size = 1LL << 30;	/* 1G */
	c->envelope_version = 2;
	c->max_files = MAX_FILES;
	c->max_file_bytes = MAX_FILE_BYTES;
	c->max_files_bytes = MAX_FILES_BYTES;
}

struct key {
	const char	*name;
	char		*path;		/* a path value, or */
	long		*num;		/* a long value, or */
	int		*inum;		/* an int value, or */
	long long	*size;		/* a size: a number, K, M, G or T */
	long		 min, max;	/* for a size: in MiB */
};

/* "1G", "512M", "1048576": bytes; -1 if malformed or not within
 * [min, max] MiB. Suffixes are powers of 1024. */
static long long
parse_size(const char *v, long min, long max)
{
	static const char units[] = "KMGT";
	const char *u;
	long long x, mult = 1;
	char *end;
	int i;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || x < 0)
		return -1;
	if (*end != '\0') {
		if ((u = strchr(units, *end)) == NULL || end[1] != '\0')
			return -1;
		for (i = 0; i <= u - units; i++)
			mult *= 1024;
	}
	if (x > (1LL << 50) / mult || x * mult < (long long)min << 20 ||
	    x * mult > (long long)max << 20)
		return -1;
	return x * mult;
}

static int
set_value(const struct key *k, const char *v, char *err, size_t errlen)
{
	char *end;
	long x;

	if (k->path != NULL) {
		if (v[0] != '/' || strlen(v) >= CONFIG_PATH_MAX) {
			snprintf(err, errlen, "'%s' must be an absolute path "
			    "shorter than %d bytes", k->name, CONFIG_PATH_MAX);
			return -1;
		}
		memcpy(k->path, v, strlen(v) + 1);
		return 0;
	}
	if (k->size != NULL) {
		if ((*k->size = parse_size(v, k->min, k->max)) < 0) {
			if (k->max < 1024)	/* attachment limits */
				snprintf(err, errlen, "'%s' must be a size "
				    "from %ldM to %ldM, such as 5M", k->name,
				    k->min, k->max);
			else
				snprintf(err, errlen, "'%s' must be a size "
				    "from %ldM to %ldG, such as 1G or 512M",
				    k->name, k->min, k->max >> 10);
			return -1;
		}
		return 0;
	}
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < k->min || x > k->max) {
		snprintf(err, errlen, "'%s' must be a whole number from %ld "
		    "to %ld", k->name, k->min, k->max);
		return -1;
	}
	/* Every numeric key in the table has one of the two; clang's
	 * analyzer cannot see the table from here. */
	if (k->num != NULL)
		*k->num = x;
	else if (k->inum != NULL)
		*k->inum = (int)x;
	return 0;
}

static int
parse_line(char *line, void *ctx, char *err, size_t errlen)
{
	const struct key *keys = ctx;
	char *k, *v, *s = line + strspn(line, " \t\r");
	size_t i;

	if (*s == '\0' || *s == '#')
		return 0;
	if (kv_split(s, &k, &v) != 0) {
		snprintf(err, errlen, "expected 'key = value'");
		return -1;
	}
	for (i = 0; keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, k) == 0)
			return set_value(&keys[i], v, err, errlen);
	snprintf(err, errlen, "unknown key (known: database, recipients, "
	    "secret, templates, profile, workers, token_min_age, "
	    "token_max_age, busy_timeout_ms, max_db_size, envelope_version, "
	    "retention_days, max_files, max_file_bytes, max_files_bytes)");
	return -1;
}

size_t
config_parse(const char *text, size_t n, struct config *c, char *err,
    size_t errlen)
{
	struct key keys[] = {
		{ "database", c->database, NULL, NULL, NULL, 0, 0 },
		{ "recipients", c->recipients, NULL, NULL, NULL, 0, 0 },
		{ "secret", c->secret, NULL, NULL, NULL, 0, 0 },
		{ "templates", c->templates, NULL, NULL, NULL, 0, 0 },
		{ "profile", c->profile, NULL, NULL, NULL, 0, 0 },
		{ "workers", NULL, NULL, &c->workers, NULL, 1, MAX_WORKERS },
		{ "token_min_age", NULL, &c->token_min_age, NULL, NULL, 0,
		  3600 },
		{ "token_max_age", NULL, &c->token_max_age, NULL, NULL, 60,
		  7 * 24 * 3600 },
		{ "busy_timeout_ms", NULL, NULL, &c->busy_timeout_ms, NULL, 0,
		  60000 },
		{ "max_db_size", NULL, NULL, NULL, &c->max_db_size, 1,
		  1024 * 1024 },
		{ "envelope_version", NULL, NULL, &c->envelope_version, NULL,
		  1, 2 },
		{ "retention_days", NULL, NULL, &c->retention_days, NULL, 0,
		  36500 },
		{ "max_files", NULL, NULL, &c->max_files, NULL, 0, MAX_FILES },
		{ "max_file_bytes", NULL, NULL, NULL, &c->max_file_bytes, 1,
		  MAX_FILE_BYTES >> 20 },
		{ "max_files_bytes", NULL, NULL, NULL, &c->max_files_bytes, 1,
		  MAX_FILES_BYTES >> 20 },
		{ NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	size_t lineno;

	if (n > MAX_CONFIG) {
		snprintf(err, errlen, "file larger than %d bytes", MAX_CONFIG);
		return 1;
	}
	if ((lineno = lines_each(text, n, parse_line, keys, err, errlen)) != 0)
		return lineno;
	if (c->token_min_age >= c->token_max_age) {
		snprintf(err, errlen, "token_min_age must be below "
		    "token_max_age");
		return lines_last(text, n);
	}
	return 0;
}
