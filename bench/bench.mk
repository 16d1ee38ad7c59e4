# `make bench`: the intake benchmark (bench/README.md). Builds the normal
# build, the ceiling-B responder and the crypto bound, then runs
# bench/bench.py: three rounds, under 4 minutes, loopback only.

BENCH_BIN = $(BUILD)/bench/fcgi_min $(BUILD)/bench/decrypt_bound

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS)

bench: deps-test
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@/usr/bin/python3 bench/bench.py --build $(BUILD)
	@/usr/bin/python3 bench/triage.py --build $(BUILD)
	@/usr/bin/python3 bench/sync_bench.py --build $(BUILD)

# The triage rows alone (issue 15): export and list over 20,000 reports.
bench-triage: deps-test
	@$(MAKE) --no-print-directory all $(BUILD)/bench/decrypt_bound
	@/usr/bin/python3 bench/triage.py --build $(BUILD)

.PHONY: bench bench-triage
