/*
 * A minimal test harness: TEST(name) defines a case, CHECK(expr) records
 * a failure with its line, RUN(name) prints "ok - name" or
 * "not ok - name" (TAP-like lines that tests/run.sh counts).
 * Kept to one header because the suite's output format is ours to fix:
 * tests/run.sh aggregates C and Python tests into one total.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_ok, t_failed;

#define TEST(name) static void name(void)
#define CHECK(e) do { \
	if (!(e)) { \
		t_ok = 0; \
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
		    __LINE__, #e); \
	} \
} while (0)
#define RUN(name) do { \
	t_ok = 1; \
	name(); \
	printf("%s - %s\n", t_ok ? "ok" : "not ok", #name); \
	t_failed += !t_ok; \
} while (0)
#define T_DONE() (fflush(stdout), t_failed ? 1 : 0)

#endif
