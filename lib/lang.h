/*
 * The four languages of the pages and how a request picks one: an
 * explicit choice (?lang=fr, or the form's hidden "lang" field), else
 * the browser's Accept-Language header, else German. lang_negotiate is a
 * pure parser: bytes in, a language out, no I/O.
 */
#ifndef TIPLINE_LANG_H
#define TIPLINE_LANG_H

#include <stddef.h>

#include "bounds.h"

enum lang { LANG_DE, LANG_FR, LANG_IT, LANG_EN, LANG_MAX };

#define LANG_DEFAULT	LANG_DE

/* "de", "fr", "it", "en": the <html lang> value and the ?lang= value. */
const char	*lang_code(enum lang);
/* The language's name in itself ("Deutsch", "Français", ...), for the
 * language links; never translated. */
const char	*lang_name(enum lang);
/* The language whose code is exactly s[0..n), or -1. */
int		 lang_from_code(const char *s, size_t n);
/* The best of our languages for an Accept-Language header (RFC 9110
 * section 12.5.4), or -1 if it names none of them (or is malformed). */
int		 lang_negotiate(const char *h, size_t n);

#endif
