/* Helpers: the day (UTC) that is the only time tipline keeps, and the
 * growable buffer's hard bound. */
#include <stdint.h>

#include "t.h"

#include "util.h"

TEST(the_day_is_utc_and_has_no_time_of_day)
{
	char day[11];

	day_utc(0, day);
	CHECK(strcmp(day, "1970-01-01") == 0);
	day_utc(1767225599, day);	/* 2025-12-31 23:59:59 UTC */
	CHECK(strcmp(day, "2025-12-31") == 0);
}

/* Found by clang-tidy (cert-err33-c): strftime's result was unchecked,
 * and a year past 9999 does not fit "YYYY-MM-DD", leaving the buffer
 * undefined (not even NUL-terminated); a time_t gmtime cannot convert
 * left struct tm unset. Both now give "0000-00-00". */
TEST(day_utc_past_year_9999_is_not_garbage)
{
	char day[11];

	memset(day, 'x', sizeof(day));
	day_utc((time_t)253402300800LL, day);	/* 10000-01-01 */
	CHECK(memchr(day, '\0', sizeof(day)) != NULL);
	CHECK(strcmp(day, "0000-00-00") == 0);
	memset(day, 'x', sizeof(day));
	day_utc((time_t)INT64_MAX, day);
	CHECK(strcmp(day, "0000-00-00") == 0);
}

TEST(a_buffer_stops_at_its_bound)
{
	struct buf b;

	buf_init(&b, 8);
	buf_str(&b, "12345678");
	CHECK(!b.failed && b.len == 8 && strcmp(b.p, "12345678") == 0);
	buf_str(&b, "9");
	CHECK(b.failed && b.len == 8);
	buf_free(&b);
}

int
main(void)
{
	RUN(the_day_is_utc_and_has_no_time_of_day);
	RUN(day_utc_past_year_9999_is_not_garbage);
	RUN(a_buffer_stops_at_its_bound);
	return T_DONE();
}
