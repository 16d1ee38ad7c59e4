/*
 * The languages of the pages and how a request picks one: an explicit
 * choice (?lang=fr, or the form's hidden "lang" field), else the
 * browser's Accept-Language header among the languages the deployment
 * profile offers, else English when the browser named only others, else
 * the profile's first language. Why these languages: docs/DEPLOY.md.
 * lang_negotiate is a pure parser: bytes in, a language out, no I/O.
 */
#ifndef TIPLINE_LANG_H
#define TIPLINE_LANG_H

#include <stddef.h>

#include "bounds.h"

enum lang { LANG_DE, LANG_FR, LANG_IT, LANG_EN, LANG_RO, LANG_HU, LANG_BG,
	LANG_ES, LANG_PT, LANG_RU, LANG_AR, LANG_FA, LANG_MAX };

#define LANG_DEFAULT	LANG_DE

/* "de", "fr", ...: the <html lang> value and the ?lang= value. */
const char	*lang_code(enum lang);
/* The language's name in itself ("Deutsch", "Français", ...), for the
 * language links; never translated. */
const char	*lang_name(enum lang);
/* The language whose code is exactly s[0..n), or -1. */
int		 lang_from_code(const char *s, size_t n);
/* The best of our languages for an Accept-Language header (RFC 9110
 * section 12.5.4), or -1 if it names none of them (or is malformed). */
int		 lang_negotiate(const char *h, size_t n);
/* The same among the languages whose bit (1u << lang) is set in offered;
 * "*" gives dflt. */
int		 lang_negotiate_in(const char *h, size_t n, unsigned offered,
		    int dflt);
/* 1 for a language written right to left (<html dir="rtl">). */
int		 lang_rtl(enum lang);

#endif
