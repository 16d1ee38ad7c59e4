/* The config parser: defaults, every key, and a clear error naming the
 * line for each kind of mistake. */
#include "t.h"

#include "config.h"
#include "bounds.h"

static size_t
parse(const char *s, struct config *c, char *err)
{
	config_defaults(c);
	return config_parse(s, strlen(s), c, err, 256);
}

TEST(defaults_are_sane)
{
	struct config c;

	config_defaults(&c);
	CHECK(c.workers == 8 && c.token_min_age == 3);
	CHECK(c.database[0] == '/' && c.recipients[0] == '/');
}

TEST(every_key_is_read)
{
	struct config c;
	char err[256];

	CHECK(parse("# comment\n\n  database = /d/tips.db  \r\nrecipients=/r\n"
	    "secret =/s\ntemplates= /t\nworkers = 4\ntoken_min_age = 0\n"
	    "token_max_age = 600\nbusy_timeout_ms = 100\nprofile = /p/x.profile",
	    &c, err) == 0);
	CHECK(strcmp(c.database, "/d/tips.db") == 0);
	CHECK(strcmp(c.recipients, "/r") == 0 && strcmp(c.secret, "/s") == 0);
	CHECK(strcmp(c.templates, "/t") == 0 && c.workers == 4);
	CHECK(c.token_min_age == 0 && c.token_max_age == 600);
	CHECK(c.busy_timeout_ms == 100);
	CHECK(strcmp(c.profile, "/p/x.profile") == 0);
}

TEST(mistakes_name_their_line)
{
	struct config c;
	char err[256];

	CHECK(parse("workers = 2\ncolour = red\n", &c, err) == 2);
	CHECK(strstr(err, "unknown key") != NULL);
	CHECK(parse("\n\nworkers\n", &c, err) == 3);
	CHECK(parse("workers =\n", &c, err) == 1);
	CHECK(parse("workers = 0\n", &c, err) == 1);
	CHECK(parse("workers = 1000\n", &c, err) == 1);
	CHECK(parse("workers = 2x\n", &c, err) == 1);
	CHECK(parse("workers = 99999999999999999999\n", &c, err) == 1);
	CHECK(parse("database = relative.db\n", &c, err) == 1);
	CHECK(strstr(err, "absolute path") != NULL);
	CHECK(parse("token_min_age = 700\ntoken_max_age = 600\n", &c, err) !=
	    0);
	CHECK(parse("workers = 2\0\n", &c, err) == 0);
}

TEST(attachment_limits_can_only_be_lowered)
{
	struct config c;
	char err[256];

	config_defaults(&c);
	CHECK(c.max_files == MAX_FILES && c.max_file_bytes == MAX_FILE_BYTES &&
	    c.max_files_bytes == MAX_FILES_BYTES);
	CHECK(parse("max_files = 2\nmax_file_bytes = 3M\n"
	    "max_files_bytes = 4M\n", &c, err) == 0);
	CHECK(c.max_files == 2 && c.max_file_bytes == 3LL << 20 &&
	    c.max_files_bytes == 4LL << 20);
	CHECK(parse("max_files = 0\n", &c, err) == 0 && c.max_files == 0);
	CHECK(parse("max_files = 6\n", &c, err) == 1);
	CHECK(parse("max_file_bytes = 11M\n", &c, err) == 1);
	CHECK(strstr(err, "from 1M to 10M") != NULL);
	CHECK(parse("max_files_bytes = 26M\n", &c, err) == 1);
	CHECK(parse("max_files_bytes = 25M\n", &c, err) == 0);
}

TEST(max_db_size_takes_a_size_with_a_unit)
{
	struct config c;
	char err[256];

	config_defaults(&c);
	CHECK(c.max_db_size == 1024LL * 1024 * 1024);
	CHECK(parse("max_db_size = 1G\n", &c, err) == 0);
	CHECK(c.max_db_size == 1LL << 30);
	CHECK(parse("max_db_size = 512M\n", &c, err) == 0);
	CHECK(c.max_db_size == 512LL << 20);
	CHECK(parse("max_db_size = 2048K\n", &c, err) == 0);
	CHECK(c.max_db_size == 2LL << 20);
	CHECK(parse("max_db_size = 1T\n", &c, err) == 0);
	CHECK(c.max_db_size == 1LL << 40);
	CHECK(parse("max_db_size = 1048576\n", &c, err) == 0);
	CHECK(c.max_db_size == 1LL << 20);
	CHECK(parse("max_db_size = 1023K\n", &c, err) == 1);
	CHECK(strstr(err, "max_db_size") != NULL);
	CHECK(parse("max_db_size = 2T\n", &c, err) == 1);
	CHECK(parse("max_db_size = 1GB\n", &c, err) == 1);
	CHECK(parse("max_db_size = G\n", &c, err) == 1);
	CHECK(parse("max_db_size = -1G\n", &c, err) == 1);
	CHECK(parse("max_db_size = 0\n", &c, err) == 1);
	CHECK(parse("max_db_size = 99999999999999999999T\n", &c, err) == 1);
	CHECK(parse("max_db_size = 9999999999999T\n", &c, err) == 1);
}

TEST(retention_days_off_by_default_bounded)
{
	struct config c;
	char err[256];

	config_defaults(&c);
	CHECK(c.retention_days == 0);
	CHECK(parse("retention_days = 30\n", &c, err) == 0);
	CHECK(c.retention_days == 30);
	CHECK(parse("retention_days = -1\n", &c, err) == 1);
	CHECK(parse("retention_days = 36501\n", &c, err) == 1);
}

TEST(overlong_lines_and_nul_bytes_are_refused)
{
	struct config c;
	char big[2048], err[256];

	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(big, &c, err) == 1);
	config_defaults(&c);
	CHECK(config_parse("# a\0b\n", 6, &c, err, sizeof(err)) == 1);
}

int
main(void)
{
	RUN(defaults_are_sane);
	RUN(every_key_is_read);
	RUN(mistakes_name_their_line);
	RUN(attachment_limits_can_only_be_lowered);
	RUN(max_db_size_takes_a_size_with_a_unit);
	RUN(retention_days_off_by_default_bounded);
	RUN(overlong_lines_and_nul_bytes_are_refused);
	return T_DONE();
}
