#!/bin/sh
# The build's own correctness, run once by `make test` on the normal build
# (build/): every header is a prerequisite of what includes it, no header
# of ours stands in for a system header, each program links only what it
# uses, the binaries carry the hardening the Makefile asks for, and -Werror
# holds in a checkout but not in a release tarball (issues 10 and 11).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=build
tmp=$(mktemp -d /tmp/tipline-build.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

check() {	# $1: name; the rest: a command that must succeed
	name=$1; shift
	if "$@" > "$tmp/out" 2>&1; then
		echo "ok - build: $name"
	else
		echo "not ok - build: $name"
		sed 's/^/# /' "$tmp/out" | head -20
	fi
}

# Every header a .c file includes is a prerequisite: with the header
# marked as changed (make -W), make would recompile that file.
headers_are_prerequisites() {
	make -n all | grep -q -- " -c -o " && { echo "$B is not up to date; run make first"; return 1; }
	bad=0
	for h in lib/*.h cgi/*.h cli/*.h tests/unit/*.h; do
		make -n -W "$h" all > "$tmp/plan" 2>&1 || { cat "$tmp/plan"; return 1; }
		for c in $(grep -l "#include \"$(basename "$h")\"" \
		    lib/*.c cgi/*.c cli/*.c tests/unit/*.c); do
			o=$B/${c%.c}.o
			case $c in tests/unit/*) o=$B/tests/unit/$(basename "${c%.c}").o ;; esac
			grep -q -- "-o $o $c" "$tmp/plan" && continue
			echo "$h changed, but make would not rebuild $c"
			bad=1
		done
	done
	return $bad
}

# No header of ours is found by #include <name>: each must resolve to the
# system's header or to nothing, never to ours.
no_header_shadows_system() {
	flags=$(make -s print-cflags | sed 's/-MMD//; s/-MP//')
	[ -n "$flags" ] || return 1
	bad=0
	for h in lib/*.h cgi/*.h cli/*.h; do
		n=$(basename "$h")
		# shellcheck disable=SC2086
		printf '#include <%s>\n' "$n" | cc $flags -M -x c - \
		    > "$tmp/dep" 2>/dev/null || continue
		if grep -q -- " $(dirname "$h")/$n\|^$(dirname "$h")/$n" "$tmp/dep"; then
			echo "<$n> resolves to our $h"
			bad=1
		fi
	done
	printf '#include <limits.h>\nint x = INT_MAX;\n' |
	    cc $flags -c -x c -o "$tmp/limits.o" - || bad=1
	return $bad
}

needed() { readelf -d "$1" > /dev/null && readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
cli_links_no_fcgi() { needed $B/tipline > "$tmp/needed" &&
    grep -q libsodium "$tmp/needed" && ! grep libfcgi "$tmp/needed"; }
fcgi_links_fcgi() { needed $B/tipline-fcgi | grep -q libfcgi; }

hardened() {	# $1: binary
	readelf -h "$1" | grep -q 'Type: *DYN' || { echo "$1: not PIE"; return 1; }
	readelf -lW "$1" | grep -q GNU_RELRO || { echo "$1: no RELRO"; return 1; }
	readelf -d "$1" | grep -q 'BIND_NOW\|Flags:.*NOW' ||
	    { echo "$1: RELRO is partial (no BIND_NOW)"; return 1; }
	readelf -lW "$1" | grep GNU_STACK | grep -q RWE &&
	    { echo "$1: executable stack"; return 1; }
	readelf --dyn-syms -W "$1" | grep -q __stack_chk_fail ||
	    { echo "$1: no stack protector"; return 1; }
	readelf --dyn-syms -W "$1" | grep -q '__[a-z]*_chk' ||
	    { echo "$1: no _FORTIFY_SOURCE calls"; return 1; }
	return 0
}

# -fcf-protection marks each object of ours (x86-64: IBT and SHSTK);
# whether the linked program keeps the mark depends on the system's
# start files, so the objects are what is checked.
cf_protected() {
	[ "$(uname -m)" = x86_64 ] || return 0
	for o in $B/lib/store.o $B/cgi/main.o $B/cli/main.o; do
		readelf -n "$o" | grep -q 'IBT, SHSTK' ||
		    { echo "$o: no IBT/SHSTK note"; return 1; }
	done
}

werror_in_checkout_only() {
	make -s print-cflags | grep -q -- -Werror ||
	    { echo "no -Werror in a checkout"; return 1; }
	# A release tarball: the files git tracks, without .git.
	mkdir -p "$tmp/tarball"
	git ls-files -z | tar --null -T - -cf - | tar -x -C "$tmp/tarball" ||
	    return 1
	make -s -C "$tmp/tarball" print-cflags > "$tmp/flags" || return 1
	! grep -- -Werror "$tmp/flags"
}

check "every header is a prerequisite of what includes it" \
    headers_are_prerequisites
check "no header of ours shadows a system header" no_header_shadows_system
check "tipline does not link libfcgi" cli_links_no_fcgi
check "tipline-fcgi links libfcgi" fcgi_links_fcgi
check "tipline-fcgi is hardened (PIE, RELRO, canary, fortify)" \
    hardened $B/tipline-fcgi
check "tipline is hardened (PIE, RELRO, canary, fortify)" hardened $B/tipline
check "objects carry control-flow protection" cf_protected
check "-Werror in a checkout, not in a release tarball" \
    werror_in_checkout_only
