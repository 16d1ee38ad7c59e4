# tipline: a plain Makefile. `make`, `make test`, `make run`,
# `make install PREFIX=/usr/local DESTDIR=`, `make check-asan`.

PREFIX	?= /usr/local
DATADIR	?= $(PREFIX)/share/tipline
BUILD	?= build
CC	?= cc

# pkg-config is asked when a recipe runs, not when this file is read:
# `make run` and `make test` install the libraries (tools/deps.sh) first,
# and a value read before that would be empty (issue 10: the first
# `make run` on a fresh machine linked with no libraries). Each program
# links what it uses: only tipline-fcgi speaks FastCGI.
PKGS	 = fcgi libsodium sqlite3 jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
CORE_LIBS  = $(shell pkg-config --libs libsodium sqlite3 jansson)
FCGI_LIBS  = $(shell pkg-config --libs fcgi)
PKG_LIBS   = $(FCGI_LIBS) $(CORE_LIBS)

CFLAGS	?= -O2 -g
# The version has one place: the first line of debian/changelog,
# "tipline (0.1.0) unstable; urgency=medium". `--version` of both
# programs and the Debian packages (debian/, make deb) read it there.
VERSION	:= $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
# Warnings are errors in a checkout (and in make test), not in a build
# from a release tarball, where a newer compiler's new warning must not
# stop an operator: `make WERROR=` turns them off.
WERROR	?= $(if $(wildcard .git),-Werror,)
WARN	 = -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wvla
HARDEN	 = -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	   -fstack-clash-protection -fcf-protection -fPIE
# Our headers are found with #include "..." only (-iquote), so none of
# them can stand in for a system header of the same name (<limits.h>,
# <form.h>). -MMD -MP: every header a file includes is a prerequisite.
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(HARDEN) $(WARN) $(CFLAGS) \
	   $(EXTRA_CFLAGS) -DTIPLINE_DATADIR='"$(DATADIR)"' \
	   -DTIPLINE_VERSION='"$(VERSION)"' -iquote lib \
	   -iquote $(BUILD) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack $(LDFLAGS) \
	   $(EXTRA_CFLAGS)

LIB_SRC	 = lib/utf8.c lib/fields.c lib/form.c lib/token.c lib/envelope.c \
	   lib/keyfile.c lib/record.c lib/store.c lib/config.c lib/util.c \
	   lib/lang.c lib/catalog.c lib/profile.c lib/ask.c lib/team.c \
	   lib/event.c lib/frame.c lib/receipt.c lib/followup.c
LIB_SRC	+= lib/status.c lib/flag.c lib/input.c
LIB_SRC	+= lib/multipart.c lib/filekind.c lib/attach.c
LIB_OBJ	 = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o) $(BUILD)/lib/schema.o
CGI_SRC	 = cgi/main.c cgi/serve.c cgi/page.c cgi/writer.c cgi/site.c \
	   cgi/upload.c
CGI_OBJ	 = $(CGI_SRC:cgi/%.c=$(BUILD)/cgi/%.o)
CLI_SRC	 = cli/main.c cli/keys.c cli/read.c cli/report.c cli/triage.c \
	   cli/export.c cli/admin.c cli/case.c cli/sync.c cli/messages.c
CLI_SRC	+= cli/agent.c cli/forward.c
CLI_SRC	+= cli/decide.c cli/grant.c
CLI_SRC	+= cli/files.c
CLI_SRC	+= cli/reply.c
CLI_OBJ	 = $(CLI_SRC:cli/%.c=$(BUILD)/cli/%.o)
RELAY_SRC = relay/relay.c relay/expire.c
RELAY_OBJ = $(RELAY_SRC:relay/%.c=$(BUILD)/relay/%.o)
UNIT	 = form token envelope keyfile record store config page i18n util \
	   profile team event receipt followup
UNIT	+= triage
UNIT	+= multipart filekind attach
UNIT_BIN = $(UNIT:%=$(BUILD)/tests/t_%)
UNIT_OBJ = $(UNIT:%=$(BUILD)/tests/unit/t_%.o)

all: $(BUILD)/tipline-fcgi $(BUILD)/tipline $(BUILD)/tipline-relay $(UNIT_BIN)

# Stops a build on a machine without the libraries with the fix, instead
# of a compiler error about a missing header.
pkgcheck:
	@pkg-config --exists $(PKGS) || { echo "tipline: the libraries" \
	    "are missing: run 'make deps' (as root), or see README.md" >&2; \
	    exit 1; }

$(BUILD)/lib/schema.c: db/migrations/*.sql tools/sql2c.sh
	@mkdir -p $(@D)
	sh tools/sql2c.sh db/migrations/*.sql > $@

$(BUILD)/lib/schema.o: $(BUILD)/lib/schema.c | pkgcheck
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c | pkgcheck
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# A new changelog entry is a new version: the programs that print it.
$(BUILD)/cgi/main.o $(BUILD)/cli/main.o: debian/changelog

$(BUILD)/libtipline.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/tipline-fcgi: $(CGI_OBJ) $(BUILD)/libtipline.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CGI_OBJ) $(BUILD)/libtipline.a \
	    $(FCGI_LIBS) $(CORE_LIBS)

$(BUILD)/tipline: $(CLI_OBJ) $(BUILD)/libtipline.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libtipline.a $(CORE_LIBS)

$(BUILD)/tipline-relay: $(RELAY_OBJ) $(BUILD)/libtipline.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(RELAY_OBJ) $(BUILD)/libtipline.a \
	    $(CORE_LIBS)

# Unit tests link the page renderer from cgi/ as well as the library.
$(BUILD)/tests/t_%: $(BUILD)/tests/unit/t_%.o $(BUILD)/cgi/page.o \
    $(BUILD)/libtipline.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CORE_LIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c | pkgcheck
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote tests/unit -iquote cgi -c -o $@ $<

-include $(LIB_OBJ:.o=.d) $(CGI_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
-include $(RELAY_OBJ:.o=.d)

# What building and running need, then what only the tests need
# (tools/deps.sh; README's dependency table).
deps:
	@sh tools/deps.sh run
deps-test:
	@sh tools/deps.sh test

ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g" WERROR=-Werror EXTRA_CFLAGS="-fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all" all

# The whole suite: the normal build, then the same tests against an
# ASan+UBSan build. Ends with one "N passed, N failed" line. The builds
# are sub-makes, so that they run after the packages are installed.
test: deps-test
	@$(MAKE) --no-print-directory WERROR=-Werror all
	@$(ASAN_MAKE)
	@sh tests/run.sh

check-asan: deps-test
	@$(ASAN_MAKE)
	@TIPLINE_BUILDS=build-asan sh tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@sh tools/run.sh

# The flags, for the build test (tests/once/build.sh).
print-cflags:
	@echo $(ALL_CFLAGS)

clean:
	rm -rf build build-asan

# Long fuzzing and the benchmark live in their own makefiles.
-include tests/fuzz/fuzz.mk
# make deb, make check-deb: the Debian packages (debian/).
include deploy/deb.mk
-include bench/bench.mk
# make install / uninstall; html/locale/locale.mk compiles translations.
include deploy/install.mk
-include html/locale/locale.mk

.PHONY: all pkgcheck deps deps-test test check-asan run print-cflags clean \
	install uninstall
.SECONDARY:
