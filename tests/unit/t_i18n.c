/* Translations: the .mo reader (strict and bounded on hostile bytes),
 * Accept-Language negotiation, translated and escaped rendering, and the
 * shipped catalogs covering every text in every language. Run from the
 * top of the tree (tests/run.sh does), after `make` built html/locale/. */
#include <stdint.h>

#include "t.h"

#include "ask.h"
#include "catalog.h"
#include "fields.h"
#include "keyfile.h"
#include "lang.h"
#include "page.h"

struct kv {
	const char	*id, *str;
};

static const struct kv sample[] = {
	{ "", "Content-Type: text/plain; charset=UTF-8\n" },
	{ "Leave this page", "Quitter cette page" },
	{ "Yes", "Oui" },
	{ "Z <b>", "\xc3\xa9t\xc3\xa9 & 'x'" },
};

static void
put32(unsigned char *p, uint32_t v, int be)
{
	int i;

	for (i = 0; i < 4; i++)
		p[be ? i : 3 - i] = (unsigned char)(v >> (8 * (3 - i)));
}

/* A .mo file as msgfmt lays it out: header, the two tables, then the
 * strings. kv must be sorted, the header entry first. */
static unsigned char *
mo_build(const struct kv *kv, size_t n, int be, size_t *len)
{
	size_t i, off = 28 + 16 * n, size = off;
	unsigned char *p;

	for (i = 0; i < n; i++)
		size += strlen(kv[i].id) + strlen(kv[i].str) + 2;
	p = calloc(1, size);
	put32(p, 0x950412deU, be);
	put32(p + 8, (uint32_t)n, be);
	put32(p + 12, 28, be);
	put32(p + 16, (uint32_t)(28 + 8 * n), be);
	for (i = 0; i < n; i++) {
		put32(p + 28 + 8 * i, (uint32_t)strlen(kv[i].id), be);
		put32(p + 32 + 8 * i, (uint32_t)off, be);
		memcpy(p + off, kv[i].id, strlen(kv[i].id) + 1);
		off += strlen(kv[i].id) + 1;
	}
	for (i = 0; i < n; i++) {
		put32(p + 28 + 8 * (n + i), (uint32_t)strlen(kv[i].str), be);
		put32(p + 32 + 8 * (n + i), (uint32_t)off, be);
		memcpy(p + off, kv[i].str, strlen(kv[i].str) + 1);
		off += strlen(kv[i].str) + 1;
	}
	*len = size;
	return p;
}

/* Parses exactly len bytes from their own allocation, so that ASan sees
 * any read past the end. */
static enum catalog_err
parse_copy(const unsigned char *p, size_t len, struct catalog *c)
{
	unsigned char *q = malloc(len ? len : 1);
	enum catalog_err e;

	memcpy(q, p, len);
	e = catalog_parse(q, len, c);
	free(q);
	return e;
}

static const char *
get(const struct catalog *c, const char *s)
{
	return catalog_get(c, s, strlen(s));
}

TEST(reads_a_mo_file_in_both_byte_orders)
{
	struct catalog c;
	unsigned char *p;
	size_t len;
	int be;

	for (be = 0; be < 2; be++) {
		p = mo_build(sample, 4, be, &len);
		CHECK(parse_copy(p, len, &c) == CATALOG_OK);
		CHECK(c.n == 4);
		CHECK(get(&c, "Leave this page") &&
		    strcmp(get(&c, "Leave this page"), "Quitter cette page") == 0);
		CHECK(get(&c, "Yes") && strcmp(get(&c, "Yes"), "Oui") == 0);
		CHECK(get(&c, "Leave this") == NULL);
		CHECK(get(&c, "Leave this page!") == NULL);
		CHECK(get(&c, "No") == NULL);
		CHECK(catalog_get(&c, "", 0) == NULL);	/* the header */
		CHECK(strcmp(catalog_tr(&c, "No"), "No") == 0);
		catalog_free(&c);
		free(p);
	}
	CHECK(catalog_get(NULL, "Yes", 3) == NULL);
	CHECK(strcmp(catalog_tr(NULL, "Yes"), "Yes") == 0);
}

TEST(an_empty_translation_counts_as_missing)
{
	const struct kv kv[] = { sample[0], { "Yes", "" } };
	struct catalog c;
	unsigned char *p;
	size_t len;

	p = mo_build(kv, 2, 0, &len);
	CHECK(parse_copy(p, len, &c) == CATALOG_OK);
	CHECK(get(&c, "Yes") == NULL);
	CHECK(strcmp(catalog_tr(&c, "Yes"), "Yes") == 0);
	catalog_free(&c);
	free(p);
}

/* Each hostile file is refused with its reason, and nothing is kept. */
static enum catalog_err
parse_kv(const struct kv *kv, size_t n)
{
	struct catalog c;
	enum catalog_err e;
	unsigned char *p;
	size_t len;

	p = mo_build(kv, n, 0, &len);
	e = parse_copy(p, len, &c);
	CHECK(e == CATALOG_OK || (c.data == NULL && c.n == 0));
	if (e == CATALOG_OK)
		catalog_free(&c);
	free(p);
	return e;
}

TEST(refuses_bad_strings_order_and_header)
{
	const struct kv unsorted[] = { sample[0], sample[2], sample[1] };
	const struct kv twice[] = { sample[0], sample[1], sample[1] };
	const struct kv badutf8[] = { sample[0], { "Yes", "O\xc3" } };
	const struct kv control[] = { sample[0], { "Yes", "O\x1b[31mui" } };
	const struct kv c1[] = { sample[0], { "Yes", "O\xc2\x85ui" } };
	const struct kv latin1[] = { { "", "Content-Type: text/plain; "
	    "charset=ISO-8859-1\n" }, sample[2] };
	const struct kv noheader[] = { sample[1], sample[2] };

	CHECK(parse_kv(sample, 4) == CATALOG_OK);
	CHECK(parse_kv(unsorted, 3) == CATALOG_E_ORDER);
	CHECK(parse_kv(twice, 3) == CATALOG_E_ORDER);
	CHECK(parse_kv(badutf8, 2) == CATALOG_E_TEXT);
	CHECK(parse_kv(control, 2) == CATALOG_E_TEXT);
	CHECK(parse_kv(c1, 2) == CATALOG_E_TEXT);
	CHECK(parse_kv(latin1, 2) == CATALOG_E_CHARSET);
	CHECK(parse_kv(noheader, 2) == CATALOG_E_CHARSET);
	CHECK(parse_kv(sample, 0) == CATALOG_E_CHARSET);
}

TEST(refuses_plural_forms_a_nul_inside_a_string)
{
	struct catalog c;
	unsigned char *p;
	size_t len;

	/* "Yes" -> "Oui" with its length made one longer, so that the
	 * string holds a NUL (as msgid "x" / msgid_plural "xs" would). */
	p = mo_build(sample, 3, 0, &len);
	put32(p + 28 + 8 * 2, 4, 0);
	CHECK(parse_copy(p, len, &c) == CATALOG_E_STRING);
	free(p);
}

TEST(refuses_bad_header_counts_and_offsets)
{
	struct catalog c;
	unsigned char *p, *q;
	size_t len;

	p = mo_build(sample, 4, 0, &len);
	q = malloc(len);
#define MUTATE(off, val, want) do { \
	memcpy(q, p, len); \
	put32(q + (off), (val), 0); \
	CHECK(parse_copy(q, len, &c) == (want)); \
} while (0)
	MUTATE(0, 0x12345678, CATALOG_E_MAGIC);
	MUTATE(4, 1, CATALOG_E_VERSION);
	MUTATE(4, 0x10000, CATALOG_E_VERSION);
	MUTATE(8, MAX_MESSAGES + 1, CATALOG_E_TOO_BIG);
	MUTATE(8, 5, CATALOG_E_BOUNDS);		/* tables run past the end */
	MUTATE(12, (uint32_t)len, CATALOG_E_BOUNDS);
	MUTATE(12, 0xfffffff8U, CATALOG_E_BOUNDS);
	MUTATE(16, 0xffffffffU, CATALOG_E_BOUNDS);
	MUTATE(28 + 8, 0xffffffffU, CATALOG_E_BOUNDS);	/* a length */
	MUTATE(32 + 8, 0xfffffffcU, CATALOG_E_BOUNDS);	/* an offset */
	MUTATE(32 + 8, (uint32_t)len - 2, CATALOG_E_BOUNDS);
	MUTATE(28 + 32 + 8, (uint32_t)len, CATALOG_E_BOUNDS);
#undef MUTATE
	memcpy(q, p, len);
	q[len - 1] = 'x';	/* the last string loses its NUL */
	CHECK(parse_copy(q, len, &c) == CATALOG_E_STRING ||
	    parse_copy(q, len, &c) == CATALOG_E_BOUNDS);
	free(q);
	free(p);
	CHECK(parse_copy((const unsigned char *)"", 0, &c) == CATALOG_E_MAGIC);
	CHECK(parse_copy((const unsigned char *)"\xde\x12\x04\x95", 4, &c) ==
	    CATALOG_E_MAGIC);
}

TEST(every_truncation_of_a_real_catalog_is_refused)
{
	struct catalog c;
	char *text;
	size_t n, cut;
	int bad = 0;

	CHECK(keyfile_slurp("html/locale/fr.mo", MAX_CATALOG, &text, &n) ==
	    KF_OK);
	if (text == NULL)
		return;
	CHECK(parse_copy((unsigned char *)text, n, &c) == CATALOG_OK);
	catalog_free(&c);
	for (cut = 0; cut < n; cut++)
		if (parse_copy((unsigned char *)text, cut, &c) == CATALOG_OK) {
			catalog_free(&c);
			bad++;
		}
	CHECK(bad == 0);
	free(text);
}

TEST(a_file_over_the_size_bound_is_refused)
{
	struct catalog c;
	unsigned char *big = calloc(1, MAX_CATALOG + 1);

	memcpy(big, "\xde\x12\x04\x95", 4);
	CHECK(catalog_parse(big, MAX_CATALOG + 1, &c) == CATALOG_E_TOO_BIG);
	CHECK(c.data == NULL);
	free(big);
}

TEST(accept_language_picks_the_best_of_ours)
{
#define NEG(s) lang_negotiate((s), strlen(s))
	CHECK(NEG("fr-CH,fr;q=0.9,en;q=0.8,de;q=0.7") == LANG_FR);
	CHECK(NEG("en-US,en;q=0.9") == LANG_EN);
	CHECK(NEG("sv,it;q=0.5") == LANG_IT);
	CHECK(NEG("it-CH") == LANG_IT);
	CHECK(NEG("de-CH-1996") == LANG_DE);
	CHECK(NEG("gsw-CH, en;q=0.5") == LANG_DE);	/* Swiss German */
	CHECK(NEG("FR") == LANG_FR);
	CHECK(NEG("de;q=0, fr;q=0.1") == LANG_FR);	/* q=0: not wanted */
	CHECK(NEG("it;q=0.5,fr;q=0.5") == LANG_IT);	/* tie: first */
	CHECK(NEG(" fr ;q=0.9 , it;Q=1") == LANG_IT);
	CHECK(NEG("en;q=1.000") == LANG_EN);
	CHECK(NEG("*") == LANG_DEFAULT);
	CHECK(NEG("sv, *;q=0.1") == LANG_DEFAULT);
	CHECK(NEG("sv") == -1);
	CHECK(NEG("ro-RO,ro;q=0.9") == LANG_RO);
	CHECK(NEG("fa-IR, ar;q=0.5") == LANG_FA);
	CHECK(NEG("") == -1);
	CHECK(NEG("english") == -1);
	CHECK(lang_negotiate(NULL, 0) == -1);
#undef NEG
}

TEST(accept_language_skips_malformed_elements)
{
#define NEG(s) lang_negotiate((s), strlen(s))
	CHECK(NEG("fr;q=2") == -1);
	CHECK(NEG("fr;q=1.5") == -1);
	CHECK(NEG("fr;q=1.001") == -1);
	CHECK(NEG("fr;q=0.5555") == -1);
	CHECK(NEG("fr;q=") == -1);
	CHECK(NEG("fr;q=-1") == -1);
	CHECK(NEG("fr;level=1") == -1);
	CHECK(NEG("fr;q=0.5;q=0.9") == -1);
	CHECK(NEG("de-,fr-") == -1);
	CHECK(NEG("d3,f r") == -1);
	CHECK(NEG("frfrfrfrf") == -1);
	CHECK(NEG("fr-abcdefghi") == -1);
	CHECK(NEG(";;;,,,") == -1);
	CHECK(NEG("<script>,fr;q=0.3") == LANG_FR);
	CHECK(NEG("fr;q=2,en;q=0.2") == LANG_EN);
	CHECK(lang_negotiate("fr\0de", 5) == -1);
#undef NEG
}

TEST(an_over_long_accept_language_is_ignored_whole)
{
	char h[MAX_ACCEPT_LANGUAGE + 2];

	memset(h, ' ', sizeof(h));
	memcpy(h, "fr", 2);
	CHECK(lang_negotiate(h, MAX_ACCEPT_LANGUAGE) == LANG_FR);
	CHECK(lang_negotiate(h, MAX_ACCEPT_LANGUAGE + 1) == -1);
}

TEST(language_codes_are_exact)
{
	int i;

	for (i = 0; i < LANG_MAX; i++)
		CHECK(lang_from_code(lang_code((enum lang)i), 2) == i);
	CHECK(lang_from_code("DE", 2) == -1);
	CHECK(lang_from_code("de", 1) == -1);
	CHECK(lang_from_code("deu", 3) == -1);
	CHECK(lang_from_code(NULL, 0) == -1);
	CHECK(strcmp(lang_code((enum lang)99), "de") == 0);
	CHECK(strcmp(lang_name(LANG_FR), "Fran\xc3\xa7" "ais") == 0);
}

TEST(translations_are_escaped_like_any_value)
{
	struct catalog c;
	unsigned char *p;
	size_t len;
	struct buf b;

	p = mo_build(sample, 4, 0, &len);
	CHECK(parse_copy(p, len, &c) == CATALOG_OK);
	buf_init(&b, 0);
	page_render(&b, &c, "<p>{{_ Z <b>}}</p><p>{{_ Not there}}</p>"
	    "<p>{{_ Leave this page}}</p>", NULL, 0);
	CHECK(b.p && strcmp(b.p, "<p>\xc3\xa9t\xc3\xa9 &amp; &#39;x&#39;</p>"
	    "<p>Not there</p><p>Quitter cette page</p>") == 0);
	buf_free(&b);
	buf_init(&b, 0);
	page_render(&b, NULL, "{{_ Z <b>}}", NULL, 0);
	CHECK(b.p && strcmp(b.p, "Z &lt;b&gt;") == 0);
	buf_free(&b);
	catalog_free(&c);
	free(p);
}

TEST(language_links_escape_the_page_and_mark_the_current)
{
	struct buf b;

	buf_init(&b, 0);
	static const enum lang offered[] = { LANG_DE, LANG_FR, LANG_IT,
	    LANG_AR };

	page_lang_nav(&b, NULL, LANG_IT, "/received?ref=\"<x>&", offered, 4);
	CHECK(b.p != NULL);
	CHECK(strstr(b.p, "href=\"/received?ref=&quot;&lt;x&gt;&amp;lang=de\"")
	    != NULL);
	CHECK(strstr(b.p, "hreflang=\"it\" lang=\"it\" aria-current=\"true\">"
	    "Italiano</a>") != NULL);
	CHECK(strstr(b.p, "lang=\"fr\">Fran\xc3\xa7" "ais</a>") != NULL);
	CHECK(strstr(b.p, "aria-label=\"Language\"") != NULL);
	CHECK(strstr(b.p, "lang=\"ar\" dir=\"rtl\"") != NULL);
	CHECK(strstr(b.p, "lang=en\"") == NULL);	/* not offered */
	CHECK(strstr(b.p, "<summary>Language: Italiano</summary>") != NULL);
	buf_free(&b);
}

TEST(shipped_catalogs_cover_every_text_in_every_language)
{
	struct templates t;
	char err[512] = "";

	CHECK(page_load(&t, "html", err, sizeof(err)) == 0);
	if (err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	CHECK(strcmp(catalog_tr(&t.cat[LANG_DE], "Leave this page"),
	    "Seite sofort verlassen") == 0);
	CHECK(strcmp(catalog_tr(&t.cat[LANG_IT], "Geneva"), "Ginevra") == 0);
	CHECK(strcmp(catalog_tr(&t.cat[LANG_FR], "(required)"),
	    "(obligatoire)") == 0);
	CHECK(strcmp(catalog_tr(&t.cat[LANG_EN], "(required)"),
	    "(required)") == 0);
	/* issue 16: "Ihre Rolle" read "your role" beside the suspects */
	CHECK(strncmp(catalog_tr(&t.cat[LANG_DE], "Their role"), "Ihre", 4)
	    != 0);
	page_unload(&t);
}

static int
count_msgid(const char *s, size_t n, void *arg)
{
	(void)s;
	(void)n;
	(*(size_t *)arg)++;
	return 0;
}

TEST(a_missing_translation_stops_start_up_and_is_named)
{
	const struct kv kv[] = { sample[0], { "Yes", "Oui" } };
	struct templates t;
	struct catalog c;
	unsigned char *p;
	char err[512] = "";
	size_t len, n = 0;

	CHECK(page_load(&t, "html", err, sizeof(err)) == 0);
	CHECK(page_msgids(&t, count_msgid, &n) == 0);
	CHECK(n > nfields * 2);
	CHECK(page_check(&t, err, sizeof(err)) == 0);
	p = mo_build(kv, 2, 0, &len);
	CHECK(parse_copy(p, len, &c) == CATALOG_OK);
	catalog_free(&t.cat[LANG_IT]);
	t.cat[LANG_IT] = c;
	CHECK(page_check(&t, err, sizeof(err)) == -1);
	CHECK(strstr(err, "no it translation of \"") != NULL);
	CHECK(strstr(err, "html/locale/it.po") != NULL);
	page_unload(&t);
	free(p);
	CHECK(page_load(&t, "/nonexistent", err, sizeof(err)) == -1);
	CHECK(strstr(err, "/nonexistent/layout.html") != NULL);
}

TEST(the_french_form_is_french)
{
	struct templates t;
	struct report r;
	struct form f;
	struct buf b;
	char err[512];
	const char *body = "canton=XX";

	CHECK(page_load(&t, "html", err, sizeof(err)) == 0);
	CHECK(form_parse(body, strlen(body), &f) == FORM_OK);
	form_check(&f, &r);
	buf_init(&b, 0);
	page_error_summary(&b, &t.cat[LANG_FR], &r, page_msgs[MSG_TOKEN_BAD],
	    0);
	page_fields(&b, &t.cat[LANG_FR], &r);
	CHECK(b.p != NULL);
	CHECK(strstr(b.p, "pas encore \xc3\xa9t\xc3\xa9 envoy\xc3\xa9") != NULL);
	CHECK(strstr(b.p, "Gen\xc3\xa8ve</option>") != NULL);
	CHECK(strstr(b.p, "(obligatoire)") != NULL);
	CHECK(strstr(b.p, "Veuillez choisir l\xe2\x80\x99une des options.")
	    != NULL);
	CHECK(strstr(b.p, "Le formulaire n\xe2\x80\x99" "a pas pu") != NULL);
	CHECK(strstr(b.p, "(optional)") == NULL);
	CHECK(strstr(b.p, "Please choose") == NULL);
	CHECK(strstr(b.p, "has not been sent") == NULL);
	CHECK(strstr(b.p, "aria-describedby=\"h-canton e-canton\"") != NULL);
	buf_free(&b);
	form_free(&f);
	page_unload(&t);
}

/* issue 11 item 7: a form that came back full of '"' (six times longer
 * once escaped) overflowed the page buffer and the reporter got a blank
 * 400. The worst case the input limits allow: every byte of a MAX_BODY
 * body a '"' in a field that is echoed, each field at MAX_FIELD_BYTES,
 * every field in error, the longest general message; in every language
 * it fits MAX_PAGE, and what is not echoed input fits MAX_PAGE_FIXED. */
static char *
worst_body(size_t *echoed)
{
	char *body = malloc(MAX_BODY + 1);
	size_t i, len = 0, k, room;

	*echoed = 0;
	for (i = 0; i < nfields && body != NULL; i++) {
		if (fields[i].kind == FIELD_CHOICE)
			continue;
		k = strlen(fields[i].name) + 2;		/* "&name=" */
		if (len + k >= MAX_BODY)
			break;
		len += (size_t)sprintf(body + len, "%s%s=", len ? "&" : "",
		    fields[i].name);
		room = MAX_BODY - len;
		k = room < MAX_FIELD_BYTES ? room : MAX_FIELD_BYTES;
		memset(body + len, '"', k);
		len += k;
		*echoed += k;
	}
	if (body != NULL)
		body[len] = '\0';
	return body;
}

static int
render_form_page(const struct templates *t, enum lang l,
    const struct report *r, size_t *len)
{
	struct buf fb, sb, content, nav, page;
	int failed;

	buf_init(&fb, MAX_PAGE);
	buf_init(&sb, MAX_PAGE);
	buf_init(&content, MAX_PAGE);
	buf_init(&nav, MAX_PAGE);
	buf_init(&page, MAX_PAGE);
	page_fields(&fb, &t->cat[l], r);
	enum lang all[LANG_MAX];
	size_t i;

	for (i = 0; i < LANG_MAX; i++)
		all[i] = (enum lang)i;
	/* The worst case: the contact question too, every language. */
	page_error_summary(&sb, &t->cat[l], r, page_msgs[MSG_NOT_STORED],
	    ASK_CONTACT_HOW);
	page_lang_nav(&nav, &t->cat[l], l, "/?", all, LANG_MAX);
	{
		const struct var v[] = {
			{ "errors", sb.p, VAR_HTML },
			{ "fields", fb.p, VAR_HTML },
			{ "token", "AAAA", VAR_TEXT },
			{ "lang", lang_code(l), VAR_TEXT },
		};
		page_render(&content, &t->cat[l], t->text[PAGE_FORM], v, 4);
	}
	{
		const struct var v[] = {
			{ "lang", lang_code(l), VAR_TEXT },
			{ "languages", nav.p, VAR_HTML },
			{ "content", content.p, VAR_HTML },
		};
		page_render(&page, &t->cat[l], t->text[PAGE_LAYOUT], v, 3);
	}
	failed = fb.failed || sb.failed || content.failed || nav.failed ||
	    page.failed;
	*len = page.len;
	buf_free(&fb);
	buf_free(&sb);
	buf_free(&content);
	buf_free(&nav);
	buf_free(&page);
	return failed;
}

TEST(the_worst_case_form_fits_the_page_in_every_language)
{
	struct templates t;
	struct report r;
	struct form f;
	char err[512], *body;
	size_t echoed, len;
	int l;

	CHECK(page_load(&t, "html", err, sizeof(err)) == 0);
	CHECK((body = worst_body(&echoed)) != NULL);
	CHECK(strlen(body) == MAX_BODY && echoed > 6 * 40000);
	CHECK(form_parse(body, strlen(body), &f) == FORM_OK);
	CHECK(form_check(&f, &r) == -1);
	for (l = 0; l < LANG_MAX; l++) {
		CHECK(render_form_page(&t, (enum lang)l, &r, &len) == 0);
		CHECK(len >= MAX_ESCAPE * echoed);
		CHECK(len - MAX_ESCAPE * echoed < MAX_PAGE_FIXED);
	}
	form_free(&f);
	free(body);
	page_unload(&t);
}

TEST(escaping_writes_at_most_max_escape_bytes_per_byte)
{
	struct buf b;
	char c;
	int i;

	for (i = 0; i < 256; i++) {
		c = (char)i;
		buf_init(&b, 0);
		html_escape(&b, &c, 1);
		CHECK(b.len <= MAX_ESCAPE);
		buf_free(&b);
	}
	buf_init(&b, 0);
	html_escape(&b, "\"", 1);
	CHECK(b.len == MAX_ESCAPE);
	buf_free(&b);
}

int
main(void)
{
	RUN(reads_a_mo_file_in_both_byte_orders);
	RUN(an_empty_translation_counts_as_missing);
	RUN(refuses_bad_strings_order_and_header);
	RUN(refuses_plural_forms_a_nul_inside_a_string);
	RUN(refuses_bad_header_counts_and_offsets);
	RUN(every_truncation_of_a_real_catalog_is_refused);
	RUN(a_file_over_the_size_bound_is_refused);
	RUN(accept_language_picks_the_best_of_ours);
	RUN(accept_language_skips_malformed_elements);
	RUN(an_over_long_accept_language_is_ignored_whole);
	RUN(language_codes_are_exact);
	RUN(translations_are_escaped_like_any_value);
	RUN(language_links_escape_the_page_and_mark_the_current);
	RUN(shipped_catalogs_cover_every_text_in_every_language);
	RUN(a_missing_translation_stops_start_up_and_is_named);
	RUN(the_french_form_is_french);
	RUN(the_worst_case_form_fits_the_page_in_every_language);
	RUN(escaping_writes_at_most_max_escape_bytes_per_byte);
	return T_DONE();
}
