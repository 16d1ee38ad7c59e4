#!/bin/sh
# Runs the whole suite against each build (normal, then ASan+UBSan):
# the unit test binaries and the integration tests (real nginx, real
# tipline-fcgi). Each test prints "ok - NAME" or "not ok - NAME"; this
# script counts them and ends with one "N passed, N failed" line.
set -u
builds=${TIPLINE_BUILDS:-"build build-asan"}
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

count() {	# $1: label, $2: exit status; reads the output in $log
	sed "s|^|[$1] |" "$log"
	# How long each suite took, to keep the whole under 30 minutes.
	echo "[$1] took $(( $(date +%s) - t0 )) s"
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - [$1] exited with status $2"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
}

start=$(date +%s)
for b in $builds; do
	if [ ! -x "$b/tipline-fcgi" ]; then
		echo "not ok - [$b] not built"
		fail=$((fail + 1))
		continue
	fi
	for t in "$b"/tests/t_*; do
		t0=$(date +%s)
		"$t" > "$log" 2>&1
		count "$b/$(basename "$t")" $?
	done
	for t in tests/integration/test_*.py; do
		t0=$(date +%s)
		/usr/bin/python3 "$t" --build "$b" > "$log" 2>&1
		count "$b/$(basename "$t" .py)" $?
	done
done
# Checks that run once, not per build (static analysis, fuzz smoke runs):
# each prints "ok - NAME" / "not ok - NAME" lines.
for t in tests/once/*.sh; do
	[ -f "$t" ] || continue
	t0=$(date +%s)
	sh "$t" > "$log" 2>&1
	count "$(basename "$t" .sh)" $?
done
echo "time: $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
