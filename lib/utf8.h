/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Used on everything a reporter sends and on everything the CLI
 * prints from a report.
 */
#ifndef TIPLINE_UTF8_H
#define TIPLINE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length in bytes of the valid sequence at s (1-4) and its code point in
 * *cp, or 0 if s[0..n) does not start with a valid sequence. */
size_t	utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* 1 if s[0..n) is valid UTF-8; *count gets the number of code points. */
int	utf8_valid(const unsigned char *s, size_t n, size_t *count);

#endif
