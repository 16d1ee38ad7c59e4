# Fuzzing (libFuzzer, clang) and static analysis; -included by the top
# Makefile. docs/TESTING.md describes both.
#
#   make fuzz          every target for FUZZ_SECONDS (default 600) each,
#                      FUZZ_JOBS (2) at a time, on a working corpus in
#                      $(FUZZ_BUILD)/corpus/ that grows from run to run
#   make fuzz FUZZ_TARGETS="form page" FUZZ_SECONDS=60   some of them
#   make fuzz-smoke    the short run `make test` does (tests/once/fuzz.sh)
#   make fuzz-build    only build them, into $(FUZZ_BUILD)/
#   make fuzz-seeds    write the generated seeds (mkseed.c) to
#                      $(FUZZ_BUILD)/seeds/ to copy into tests/fuzz/corpus/
#   make fuzz-merge    add to tests/fuzz/corpus/ the inputs of the working
#                      corpus that reach new code (libFuzzer -merge=1)
#   make check-static  cppcheck and clang-tidy (tests/once/static.sh)

FUZZ_BUILD	?= $(BUILD)-fuzz
FUZZ_SECONDS	?= 600
FUZZ_JOBS	?= 2
FUZZ_TARGETS	?= $(FUZZ_ALL)
# The library and page.o get coverage instrumentation (fuzzer-no-link);
# only the targets link libFuzzer's main. Sanitizer findings abort.
FUZZ_SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_MAKE	 = $(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) \
		   FUZZ_BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="-O1 -g" \
		   EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)"
FUZZ_ALL	 = form token page config keyfile recipients envelope record \
		   catalog lang profile team event frame receipt multipart attach
FUZZ_DEPS	 = tests/fuzz/fuzz.h lib/*.h cgi/*.h $(FUZZ_BUILD)/cgi/page.o \
		   $(FUZZ_BUILD)/libtipline.a

fuzz-build: deps-test
	@$(FUZZ_MAKE) fuzz-bin

# Only meaningful inside FUZZ_MAKE, where BUILD is FUZZ_BUILD.
fuzz-bin: $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz_%) $(FUZZ_BUILD)/mkseed
	@:

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	$(CC) $(ALL_CFLAGS) -iquote cgi -iquote tests/fuzz -fsanitize=fuzzer \
	    $(ALL_LDFLAGS) -o $@ $< $(FUZZ_BUILD)/cgi/page.o \
	    $(FUZZ_BUILD)/libtipline.a $(PKG_LIBS)

$(FUZZ_BUILD)/mkseed: tests/fuzz/mkseed.c $(FUZZ_DEPS)
	$(CC) $(ALL_CFLAGS) -iquote tests/fuzz $(ALL_LDFLAGS) -o $@ $< \
	    $(FUZZ_BUILD)/libtipline.a $(PKG_LIBS)

# The lock keeps a test run's smoke fuzzing (tests/once/fuzz.sh) from
# rebuilding the targets under a long run, and the other way round.
fuzz:
	@mkdir -p $(FUZZ_BUILD)
	@flock $(FUZZ_BUILD)/.lock $(MAKE) --no-print-directory fuzz-locked

fuzz-locked: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS) \
	    $(FUZZ_BUILD)/corpus $(FUZZ_TARGETS)

fuzz-smoke:
	@FUZZ_BUILD=$(FUZZ_BUILD) sh tests/once/fuzz.sh

fuzz-seeds: fuzz-build
	rm -rf $(FUZZ_BUILD)/seeds
	mkdir -p $(FUZZ_BUILD)/seeds
	$(FUZZ_BUILD)/mkseed $(FUZZ_BUILD)/seeds
	@echo "seeds in $(FUZZ_BUILD)/seeds/;" \
	    "copy what changed into tests/fuzz/corpus/"

fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    [ -d $(FUZZ_BUILD)/corpus/$$t ] || continue; \
	    echo "fuzz_$$t:"; \
	    $(FUZZ_BUILD)/fuzz_$$t -merge=1 tests/fuzz/corpus/$$t \
	        $(FUZZ_BUILD)/corpus/$$t 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new'; \
	done; true

check-static:
	@sh tests/once/static.sh

.PHONY: fuzz fuzz-locked fuzz-build fuzz-bin fuzz-smoke fuzz-seeds \
	fuzz-merge check-static

# `make clean` also removes the fuzz build (a prerequisite added here,
# so that the top Makefile's clean recipe stays as it is).
clean: fuzz-clean
fuzz-clean:
	rm -rf $(FUZZ_BUILD)

.PHONY: fuzz-clean
