#!/bin/sh
# Runs every fuzz target (or those named) for SECONDS each, JOBS at a
# time, each on a working copy of its seed corpus under WORKDIR (the
# committed tests/fuzz/corpus/ is only read). Prints one line per target:
#   ok - fuzz_NAME (N execs in S s, corpus C)
#   not ok - fuzz_NAME: WHY
# and fails if any target crashed, leaked, broke a property, hung or
# tripped a sanitizer. Crashing inputs are kept in BUILD/artifacts/.
# Used by `make fuzz` (long) and tests/once/fuzz.sh (the smoke run).
#
# usage: run.sh BUILD SECONDS JOBS WORKDIR [TARGET...]
set -u
if [ $# -lt 4 ]; then
	echo "usage: run.sh BUILD SECONDS JOBS WORKDIR [TARGET...]" >&2
	exit 2
fi
build=$1 secs=$2 jobs=$3 work=$4
shift 4
targets=${*:-"form token page config keyfile recipients envelope record catalog
lang team event frame receipt multipart attach"}
here=$(dirname "$0")
# Findings must stop the target at once (UBSan would otherwise go on)
# and print a symbolized stack; libFuzzer then saves the input. A huge
# allocation is a finding too (never allocate what the input declares),
# not a NULL to cope with.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
batch="" pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; exit 1' INT TERM

start_one() {	# $1: target; adds "target:pid" to $batch
	t=$1
	mkdir -p "$work/$t" "$work/artifacts"
	cp "$here/corpus/$t/"* "$work/$t/" 2>/dev/null
	dict=""
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	# -timeout: one input taking 10 s is a hang. The outer timeout is a
	# second fence in case libFuzzer itself does not stop.
	timeout -k 10 $((secs + 120)) "$build/fuzz_$t" \
	    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" \
	    $dict "$work/$t" > "$work/$t.log" 2>&1 &
	batch="$batch $t:$!"
	pids="$pids $!"
}

wait_batch() {	# records each target's exit status in $work/TARGET.rc
	for tp in $batch; do
		wait "${tp#*:}"
		echo $? > "$work/${tp%%:*}.rc"
	done
	batch="" pids=""
}

report() {	# $1: target; prints the ok / not ok line
	t=$1 log=$work/$1.log
	rc=$(cat "$work/$t.rc" 2>/dev/null || echo 99)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -1)
	why=""
	pat='ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:'
	pat="$pat|property failed|SUMMARY: "
	if grep -q -E "$pat" "$log"; then
		why=$(grep -m1 -E 'ERROR: |runtime error:|property failed' "$log")
	elif [ "$rc" -ne 0 ]; then
		why="exited with status $rc"
	elif [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
		why="ran no inputs"
	fi
	if [ -n "$why" ]; then
		echo "not ok - fuzz_$t: $why"
		mkdir -p "$build/artifacts"
		for a in "$work/artifacts/$t-"*; do
			[ -f "$a" ] || continue
			cp "$a" "$build/artifacts/"
			echo "# input kept: $build/artifacts/$(basename "$a")"
			echo "# rerun: $build/fuzz_$t $build/artifacts/$(basename "$a")"
		done
		grep -E -A25 'ERROR: |runtime error:|property failed' "$log" |
		    head -40 | sed 's/^/# /'
		return 1
	fi
	time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" |
	    tail -1)
	size=$(ls "$work/$t" | wc -l)
	echo "ok - fuzz_$t ($execs execs in ${time:-?} s, corpus $size)"
}

n=0 fail=0 started=""
for t in $targets; do
	if [ ! -x "$build/fuzz_$t" ]; then
		echo "not ok - fuzz_$t: $build/fuzz_$t not built"
		fail=1
		continue
	fi
	start_one "$t"
	started="$started $t"
	n=$((n + 1))
	[ "$n" -ge "$jobs" ] && { wait_batch; n=0; }
done
wait_batch
for t in $started; do
	report "$t" || fail=1
done
exit $fail
