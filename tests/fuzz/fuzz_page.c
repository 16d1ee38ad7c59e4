/*
 * Fuzzes the template renderer (cgi/page.c): page_render fills {{name}}
 * placeholders and {{_ text}} translations (here without a catalog: the
 * English text), html_escape escapes everything that came from a request.
 * The input is a template, a NUL, then a value. The property that keeps
 * reporters' text from becoming markup: escaped output holds no '<', '>',
 * quote or bare '&', only valid UTF-8, and no control character but a
 * line break or tab, whatever bytes went in.
 */
#include <string.h>

#include "fuzz.h"

#include "page.h"
#include "utf8.h"

#define OUT_MAX	(4 * 1024 * 1024)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	return 0;
}

/* The five entities html_escape writes are the only '&' allowed. */
static int
entity_at(const char *s, size_t n)
{
	static const char *const ent[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"
	};
	size_t i;

	for (i = 0; i < sizeof(ent) / sizeof(ent[0]); i++)
		if (n >= strlen(ent[i]) && memcmp(s, ent[i], strlen(ent[i])) ==
		    0)
			return 1;
	return 0;
}

static void
check_escaped(const struct buf *b)
{
	size_t i;

	FUZZ_CHECK(!b->failed);
	FUZZ_CHECK(utf8_valid((const unsigned char *)b->p, b->len, NULL));
	for (i = 0; i < b->len; i++) {
		FUZZ_CHECK(memchr("<>\"'", b->p[i], 4) == NULL);
		FUZZ_CHECK((unsigned char)b->p[i] >= 0x20 || b->p[i] == '\n' ||
		    b->p[i] == '\t');
		if (b->p[i] == '&')
			FUZZ_CHECK(entity_at(b->p + i, b->len - i));
	}
}

/* Rendering "{{v}}" alone gives exactly the escaped value. */
static void
check_render_escapes(const char *value)
{
	const struct var v[] = { { "v", value, VAR_TEXT } };
	struct buf a, b;

	buf_init(&a, OUT_MAX);
	buf_init(&b, OUT_MAX);
	page_render(&a, NULL, "{{v}}", v, 1);
	html_escape(&b, value, strlen(value));
	check_escaped(&a);
	FUZZ_CHECK(a.len == b.len && memcmp(a.p ? a.p : "", b.p ? b.p : "",
	    a.len) == 0);
	buf_free(&a);
	buf_free(&b);
}

/* Any template renders within bounds; a VAR_HTML value is the
 * program's own markup, the rest is escaped. */
static void
render_template(const char *tmpl, const char *value)
{
	const struct var vars[] = {
		{ "v", value, VAR_TEXT },
		{ "html", "<p>built by us</p>", VAR_HTML },
		{ "none", NULL, VAR_TEXT },
		{ "", "empty name", VAR_TEXT },
	};
	struct buf b;

	buf_init(&b, OUT_MAX);
	page_render(&b, NULL, tmpl, vars,
	    sizeof(vars) / sizeof(vars[0]));
	FUZZ_CHECK(!b.failed);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - (const char *)data) : size;
	const char *value = nul ? nul + 1 : "";
	size_t vlen = nul ? size - tlen - 1 : 0;
	char *tmpl, *vstr = NULL;
	struct buf b;

	/* page_render takes NUL-terminated strings, as the programs pass
	 * them; html_escape takes a length and may meet NULs. */
	if ((tmpl = malloc(tlen + 1)) == NULL ||
	    (vstr = malloc(vlen + 1)) == NULL)
		goto out;
	memcpy(tmpl, data, tlen);
	tmpl[tlen] = '\0';
	memcpy(vstr, value, vlen);
	vstr[vlen] = '\0';
	render_template(tmpl, vstr);
	buf_init(&b, OUT_MAX);
	html_escape(&b, value, vlen);
	check_escaped(&b);
	buf_free(&b);
	check_render_escapes(vstr);
out:
	free(tmpl);
	free(vstr);
	return 0;
}
