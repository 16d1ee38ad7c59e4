/*
 * The version both programs print with --version. It has one place, the
 * first line of debian/changelog; the Makefile reads it there and passes
 * it as -DTIPLINE_VERSION. A compile without it (the static analysers')
 * says "unknown" rather than a number from another place.
 */
#ifndef TIPLINE_VERSION_H
#define TIPLINE_VERSION_H

#ifndef TIPLINE_VERSION
#define TIPLINE_VERSION "unknown"
#endif

#endif
