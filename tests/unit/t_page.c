/* The page renderer: escaping by default, fragments only when our code
 * marks them, and the form keeps what the reporter typed, escaped. */
#include "t.h"

#include "page.h"

static char *
esc(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	html_escape(&b, s, n);
	buf_add(&b, "", 0);
	return b.p;
}

TEST(escape_covers_the_five_characters)
{
	char *s = esc("<a href=\"x\" onclick='y'>&</a>", 29);

	CHECK(strcmp(s, "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;"
	    "&amp;&lt;/a&gt;") == 0);
	free(s);
}

TEST(escape_replaces_invalid_utf8_and_controls)
{
	char *s = esc("a\xff" "b\xc3\xa9" "c\x1b" "d\x00" "e\nf", 12);

	CHECK(strcmp(s, "a\xef\xbf\xbd" "b\xc3\xa9" "c\xef\xbf\xbd"
	    "d\xef\xbf\xbd" "e\nf") == 0);
	free(s);
}

TEST(render_escapes_text_and_keeps_marked_html)
{
	struct buf b;
	const struct var v[] = {
		{ "t", "<script>alert(1)</script>", VAR_TEXT },
		{ "h", "<p>ok</p>", VAR_HTML },
	};

	buf_init(&b, 0);
	page_render(&b, NULL, "[{{t}}][{{h}}][{{nope}}][{{ t }}][{{t", v, 2);
	CHECK(b.p && strcmp(b.p, "[&lt;script&gt;alert(1)&lt;/script&gt;]"
	    "[<p>ok</p>][][][{{t") == 0);
	buf_free(&b);
}

TEST(render_does_not_expand_placeholders_inside_values)
{
	struct buf b;
	const struct var v[] = {
		{ "a", "{{b}}", VAR_TEXT },
		{ "b", "SECRET", VAR_TEXT },
	};

	buf_init(&b, 0);
	page_render(&b, NULL, "{{a}}", v, 2);
	CHECK(b.p && strcmp(b.p, "{{b}}") == 0);
	buf_free(&b);
}

TEST(a_bounded_buffer_fails_instead_of_growing)
{
	struct buf b;

	buf_init(&b, 8);
	buf_str(&b, "12345678");
	CHECK(!b.failed);
	buf_str(&b, "9");
	CHECK(b.failed && b.len == 8);
	buf_free(&b);
}

TEST(the_form_keeps_values_escaped_and_marks_errors)
{
	const char *body = "description=%3C%2Ftextarea%3E%3Cscript%3Ex&"
	    "municipality=%22%3E%3Cimg&canton=ZH&type=bogus";
	struct form f;
	struct report r;
	struct buf b;

	CHECK(form_parse(body, strlen(body), &f) == FORM_OK);
	CHECK(form_check(&f, &r) == -1);
	buf_init(&b, 0);
	page_error_summary(&b, NULL, &r, NULL, 0);
	page_fields(&b, NULL, &r);
	CHECK(b.p != NULL);
	CHECK(strstr(b.p, "<script") == NULL && strstr(b.p, "<img") == NULL);
	CHECK(strstr(b.p, "&lt;/textarea&gt;&lt;script&gt;x</textarea>"));
	CHECK(strstr(b.p, "value=\"&quot;&gt;&lt;img\""));
	CHECK(strstr(b.p, "<option value=\"ZH\" selected>"));
	CHECK(strstr(b.p, "<a href=\"#f-type\">"));
	CHECK(strstr(b.p, "id=\"e-type\""));
	CHECK(strstr(b.p, "aria-invalid=\"true\""));
	buf_free(&b);
	form_free(&f);
}

TEST(an_empty_form_has_every_field_and_no_summary)
{
	struct buf b;
	char id[64];
	size_t i;

	buf_init(&b, 0);
	page_error_summary(&b, NULL, NULL, NULL, 0);
	CHECK(b.len == 0);
	page_fields(&b, NULL, NULL);
	for (i = 0; i < nfields; i++) {
		snprintf(id, sizeof(id), "id=\"f-%s\"", fields[i].name);
		CHECK(strstr(b.p, id) != NULL);
	}
	CHECK(strstr(b.p, "aria-invalid") == NULL);
	buf_free(&b);
}

TEST(fields_tie_hint_and_error_to_the_control)
{
	const char *body = "municipality=x";
	struct form f;
	struct report r;
	struct buf b;

	CHECK(form_parse(body, strlen(body), &f) == FORM_OK);
	CHECK(form_check(&f, &r) == -1);	/* no description */
	buf_init(&b, 0);
	page_error_summary(&b, NULL, &r, NULL, 0);
	page_fields(&b, NULL, &r);
	CHECK(b.p != NULL);
	CHECK(strstr(b.p, "<a href=\"#f-description\">What did you see or "
	    "hear? \xe2\x80\x93 Please describe what you saw or heard.</a>"));
	CHECK(strstr(b.p, "aria-describedby=\"h-description e-description\" "
	    "required aria-invalid=\"true\""));
	CHECK(strstr(b.p, "id=\"f-municipality\" name=\"municipality\" "
	    "autocomplete=\"off\" aria-describedby=\"h-municipality\" "
	    "value=\"x\">"));
	CHECK(strstr(b.p, "<span class=\"req\">(required)</span>"));
	/* issue 16: only the required field is marked; "(optional)"
	 * beside twenty fields made the form look long */
	CHECK(strstr(b.p, "(optional)") == NULL);
	CHECK(strstr(b.p, "<span class=\"vh\">Error: </span>"));
	buf_free(&b);
	form_free(&f);
}

int
main(void)
{
	RUN(escape_covers_the_five_characters);
	RUN(escape_replaces_invalid_utf8_and_controls);
	RUN(render_escapes_text_and_keeps_marked_html);
	RUN(render_does_not_expand_placeholders_inside_values);
	RUN(a_bounded_buffer_fails_instead_of_growing);
	RUN(the_form_keeps_values_escaped_and_marks_errors);
	RUN(an_empty_form_has_every_field_and_no_summary);
	RUN(fields_tie_hint_and_error_to_the_control);
	return T_DONE();
}
