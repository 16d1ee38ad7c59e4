#!/bin/sh
# The fuzz smoke run of `make test` (tests/run.sh runs it once): builds
# the libFuzzer targets (tests/fuzz/, into $FUZZ_BUILD, default
# build-fuzz), checks that the generated seeds still open, then runs each
# target for FUZZ_SMOKE_SECONDS (20) seconds, two at a time, on a copy of
# its seed corpus in a temporary directory. Any crash, leak, sanitizer
# report or broken property is a "not ok" line; the crashing input is
# kept in $FUZZ_BUILD/artifacts/. Long runs: `make fuzz`.
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${FUZZ_BUILD:-build-fuzz}
secs=${FUZZ_SMOKE_SECONDS:-20}
work=$(mktemp -d /tmp/tipline-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# Two test runs at once in this checkout (people sharing a machine) would
# rebuild the fuzzers under each other: take turns, as `make fuzz` does.
mkdir -p "$build"
exec 9> "$build/.lock"
if ! flock -w 900 9; then
	echo "not ok - fuzz: another run held $build/.lock for 15 minutes"
	exit 1
fi
if make --no-print-directory FUZZ_BUILD="$build" fuzz-build \
    > "$work/build.log" 2>&1; then
	echo "ok - fuzz targets build"
else
	echo "not ok - fuzz targets build"
	tail -20 "$work/build.log" | sed 's/^/# /'
	exit 1
fi
if "$build/mkseed" -c tests/fuzz/corpus > "$work/seeds.log" 2>&1; then
	echo "ok - fuzz seeds still parse, open and unlock"
else
	echo "not ok - fuzz seeds still parse, open and unlock (make fuzz-seeds)"
	sed 's/^/# /' "$work/seeds.log"
fi
sh tests/fuzz/run.sh "$build" "$secs" 2 "$work/corpus"
