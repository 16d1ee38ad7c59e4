/*
 * What the deployment profile (lib/profile.h) puts on the pages: the
 * emergency numbers as tel: links, the help section for people affected,
 * the organisation's name, the neutral site, the page's direction. Every
 * template may use these names besides its own variables:
 *   {{site}} {{org}} {{leave}} {{retention}} {{lang}} {{dir}}
 *   {{emergency}} (HTML) {{help}} (HTML)
 * Texts from the profile are escaped like every other value.
 */
#ifndef TIPLINE_SITE_H
#define TIPLINE_SITE_H

#include "page.h"
#include "profile.h"

/* page_render with the variables above added after own[0..n). */
void	site_render(struct buf *, const struct profile *,
	    const struct catalog *, enum lang, const char *tmpl,
	    const struct var *own, size_t n);
void	site_emergency(struct buf *, const struct profile *,
	    const struct catalog *);
void	site_help(struct buf *, const struct profile *,
	    const struct catalog *);

#endif
