/*
 * Fuzzes catalog_parse, the reader of the GNU .mo translation files that
 * tipline-fcgi loads at start (lib/catalog.c), and the pages rendered
 * with what it accepts. A .mo file is the operator's, not the public's,
 * but a damaged or hostile one must be refused, not read out of bounds;
 * and a translation is text like any other: escaped on the page.
 */
#include <string.h>

#include "fuzz.h"

#include "catalog.h"
#include "page.h"
#include "utf8.h"

#define OUT_MAX		(1024 * 1024)
#define MAX_RENDERED	16	/* entries rendered per input */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* "{{_ id}}" renders as the escaped translation, or the escaped id when
 * the translation is empty, and never as markup. */
static void
check_render(const struct catalog *c, size_t i)
{
	const char *id = c->id[i], *want = c->str[i][0] ? c->str[i] : id;
	struct buf tmpl, got, esc;
	size_t k;

	buf_init(&tmpl, OUT_MAX);
	buf_init(&got, OUT_MAX);
	buf_init(&esc, OUT_MAX);
	buf_str(&tmpl, "{{_ ");
	buf_str(&tmpl, id);
	buf_str(&tmpl, "}}");
	page_render(&got, c, tmpl.p, NULL, 0);
	html_escape(&esc, want, strlen(want));
	FUZZ_CHECK(!tmpl.failed && !got.failed && !esc.failed);
	FUZZ_CHECK(got.len == esc.len && memcmp(got.p ? got.p : "",
	    esc.p ? esc.p : "", got.len) == 0);
	for (k = 0; got.p != NULL && k < got.len; k++)
		FUZZ_CHECK(memchr("<>\"'", got.p[k], 4) == NULL);
	buf_free(&tmpl);
	buf_free(&got);
	buf_free(&esc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog c;
	enum catalog_err e;
	size_t i, len;

	e = catalog_parse(data, size, &c);
	FUZZ_CHECK(catalog_strerror(e) != NULL);
	if (e != CATALOG_OK) {
		FUZZ_CHECK(c.data == NULL && c.id == NULL && c.str == NULL);
		return 0;
	}
	FUZZ_CHECK(c.n >= 1 && c.n <= MAX_MESSAGES);
	for (i = 1; i < c.n; i++) {
		/* Sorted and unique, so that every msgid is found. */
		FUZZ_CHECK(strcmp(c.id[i - 1], c.id[i]) < 0);
		len = strlen(c.id[i]);
		FUZZ_CHECK(catalog_get(&c, c.id[i], len) ==
		    (c.str[i][0] ? c.str[i] : NULL));
		FUZZ_CHECK(utf8_valid((const unsigned char *)c.str[i],
		    strlen(c.str[i]), NULL));
		/* A '}' in the msgid would end the placeholder early. */
		if (i <= MAX_RENDERED && len > 0 && strchr(c.id[i], '}') ==
		    NULL)
			check_render(&c, i);
	}
	catalog_free(&c);
	return 0;
}
