# tipline: a plain Makefile. `make`, `make test`, `make run`,
# `make install PREFIX=/usr/local DESTDIR=`, `make check-asan`.

PREFIX	?= /usr/local
DATADIR	?= $(PREFIX)/share/tipline
BUILD	?= build
CC	?= cc
PKGS	 = fcgi libsodium sqlite3 jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wvla
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_FORTIFY_SOURCE=2 \
	   -fstack-protector-strong -fPIE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
	   -DTIPLINE_DATADIR='"$(DATADIR)"' -Ilib -I$(BUILD) $(PKG_CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS) $(EXTRA_CFLAGS)

LIB_SRC	 = lib/utf8.c lib/fields.c lib/form.c lib/token.c lib/envelope.c \
	   lib/keyfile.c lib/record.c lib/store.c lib/config.c lib/util.c \
	   lib/lang.c lib/catalog.c
LIB_OBJ	 = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o) $(BUILD)/lib/schema.o
CGI_SRC	 = cgi/main.c cgi/serve.c cgi/page.c
CGI_OBJ	 = $(CGI_SRC:cgi/%.c=$(BUILD)/cgi/%.o)
CLI_SRC	 = cli/main.c cli/keys.c cli/read.c cli/report.c cli/triage.c \
	   cli/export.c cli/admin.c
CLI_OBJ	 = $(CLI_SRC:cli/%.c=$(BUILD)/cli/%.o)
UNIT	 = form token envelope keyfile record store config page i18n util
UNIT_BIN = $(UNIT:%=$(BUILD)/tests/t_%)

all: $(BUILD)/tipline-fcgi $(BUILD)/tipline $(UNIT_BIN)

$(BUILD)/lib/schema.c: db/migrations/*.sql tools/sql2c.sh
	@mkdir -p $(@D)
	sh tools/sql2c.sh db/migrations/*.sql > $@

$(BUILD)/lib/schema.o: $(BUILD)/lib/schema.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c lib/*.h cgi/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libtipline.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/tipline-fcgi: $(CGI_OBJ) $(BUILD)/libtipline.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CGI_OBJ) $(BUILD)/libtipline.a $(PKG_LIBS)

$(BUILD)/tipline: $(CLI_OBJ) $(BUILD)/libtipline.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libtipline.a $(PKG_LIBS)

# Unit tests link the page renderer from cgi/ as well as the library.
$(BUILD)/tests/t_%: $(BUILD)/tests/unit/t_%.o $(BUILD)/cgi/page.o \
    $(BUILD)/libtipline.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c tests/unit/t.h lib/*.h cgi/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Icgi -c -o $@ $<

deps:
	@sh tools/deps.sh

# The whole suite: the normal build, then the same tests against an
# ASan+UBSan build. Ends with one "N passed, N failed" line.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g" EXTRA_CFLAGS="-fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all" all
	@sh tests/run.sh

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g" EXTRA_CFLAGS="-fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all" all
	@TIPLINE_BUILDS=build-asan sh tests/run.sh

run: deps all
	@sh tools/run.sh

clean:
	rm -rf build build-asan

# Long fuzzing and the benchmark live in their own makefiles.
-include tests/fuzz/fuzz.mk
-include bench/bench.mk
# make install / uninstall; html/locale/locale.mk compiles translations.
include deploy/install.mk
-include html/locale/locale.mk

.PHONY: all deps test check-asan run install uninstall clean
.SECONDARY:
