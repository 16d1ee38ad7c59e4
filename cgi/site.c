/*
 * The profile's parts of a page. Numbers become tel: links with only
 * their digits and a leading '+' in the href (RFC 3966), so a tap on a
 * cheap phone dials them; addresses were checked to be https:// by
 * profile_parse and are escaped here all the same.
 */
#include <string.h>

#include "site.h"

#define SITE_MAX_VARS	24

static void
esc(struct buf *b, const char *s)
{
	html_escape(b, s, strlen(s));
}

static void
tr(struct buf *b, const struct catalog *cat, const char *msgid)
{
	esc(b, catalog_tr(cat, msgid));
}

static void
tel_link(struct buf *b, const char *number)
{
	const char *p;
	char c[2] = { 0, 0 };

	buf_str(b, "<a class=\"tel\" href=\"tel:");
	for (p = number; *p != '\0'; p++)
		if ((*p >= '0' && *p <= '9') || *p == '+') {
			c[0] = *p;
			buf_str(b, c);
		}
	/* Numbers read left to right in a right-to-left page too. */
	buf_str(b, "\" dir=\"ltr\">");
	esc(b, number);
	buf_str(b, "</a>");
}

void
site_emergency(struct buf *b, const struct profile *p,
    const struct catalog *cat)
{
	size_t i;

	buf_str(b, "<p class=\"emergency\"><strong>");
	tr(b, cat, profile_ui[UI_DANGER]);
	buf_str(b, "</strong>");
	for (i = 0; i < p->nemergency; i++) {
		buf_str(b, i == 0 ? " " : " \xc2\xb7 ");	/* middle dot */
		tr(b, cat, emergency_labels[p->emergency[i].kind]);
		buf_str(b, " ");
		tel_link(b, p->emergency[i].number);
	}
	buf_str(b, "</p>\n");
}

static void
help_entry(struct buf *b, const struct catalog *cat,
    const struct profile_help *h)
{
	buf_str(b, "<li><strong>");
	esc(b, h->name);
	buf_str(b, "</strong>: ");
	tr(b, cat, help_labels[h->kind]);
	if (h->phone[0] != '\0') {
		buf_str(b, "<br>");
		tel_link(b, h->phone);
	}
	if (h->url[0] != '\0') {
		buf_str(b, "<br><a href=\"");
		esc(b, h->url);
		buf_str(b, "\" rel=\"noreferrer noopener\" dir=\"ltr\">");
		esc(b, h->url + strlen("https://"));
		buf_str(b, "</a>");
	}
	buf_str(b, "</li>\n");
}

void
site_help(struct buf *b, const struct profile *p, const struct catalog *cat)
{
	size_t i;

	buf_str(b, "<section class=\"help\" id=\"help\" "
	    "aria-labelledby=\"help-title\">\n<h2 id=\"help-title\">");
	tr(b, cat, profile_ui[UI_HELP_TITLE]);
	buf_str(b, "</h2>\n<p>");
	tr(b, cat, profile_ui[UI_HELP_INTRO]);
	buf_str(b, "</p>\n<ul>\n");
	for (i = 0; i < SAY_MAX; i++)
		if (p->says[i]) {
			buf_str(b, "<li>");
			tr(b, cat, help_says[i]);
			buf_str(b, "</li>\n");
		}
	buf_str(b, "</ul>\n");
	if (p->nhelp > 0) {
		buf_str(b, "<ul class=\"orgs\">\n");
		for (i = 0; i < p->nhelp; i++)
			help_entry(b, cat, &p->help[i]);
		buf_str(b, "</ul>\n");
	}
	buf_str(b, "</section>\n");
}

void
site_render(struct buf *out, const struct profile *p,
    const struct catalog *cat, enum lang l, const char *tmpl,
    const struct var *own, size_t n)
{
	struct var v[SITE_MAX_VARS];
	struct buf emergency, help;
	size_t k = 0;

	buf_init(&emergency, 16 * 1024);
	buf_init(&help, 16 * 1024);
	site_emergency(&emergency, p, cat);
	site_help(&help, p, cat);
	for (k = 0; k < n && k < SITE_MAX_VARS - 8; k++)
		v[k] = own[k];
	v[k++] = (struct var){ "site", profile_text(&p->site_name, l),
	    VAR_TEXT };
	v[k++] = (struct var){ "org", profile_text(&p->org_name, l),
	    VAR_TEXT };
	v[k++] = (struct var){ "leave", p->leave_url, VAR_TEXT };
	v[k++] = (struct var){ "retention", profile_text(&p->retention, l),
	    VAR_TEXT };
	v[k++] = (struct var){ "lang", lang_code(l), VAR_TEXT };
	v[k++] = (struct var){ "dir", lang_rtl(l) ? "rtl" : "ltr", VAR_TEXT };
	v[k++] = (struct var){ "emergency", emergency.failed ? NULL :
	    emergency.p, VAR_HTML };
	v[k++] = (struct var){ "help", help.failed ? NULL : help.p, VAR_HTML };
	page_render(out, cat, tmpl, v, k);
	buf_free(&emergency);
	buf_free(&help);
}
