#!/bin/sh
# Static analysis, run once by `make test` (and by `make check-static`):
# cppcheck and clang-tidy over cgi/ cli/ lib/ relay/ and tests/fuzz/, with the
# checked-in configuration: .clang-tidy at the top, and
# tests/static/cppcheck.supp and tests/static/clang-tidy.supp for the few
# findings that are silenced, each with its reason. Any other finding is a
# "not ok" line followed by the findings as "# " lines.
set -u
cd "$(dirname "$0")/../.." || exit 1
srcs=$(ls cgi/*.c cli/*.c lib/*.c relay/*.c tests/fuzz/*.c)
nsrc=$(echo "$srcs" | wc -l)
defs="-D_DEFAULT_SOURCE"
incs="-Ilib -Icgi -Icli -Itests/fuzz"
tmp=$(mktemp -d /tmp/tipline-static.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
fail=0

# cppcheck: its checks for bugs (warning) and for style, performance and
# portability, inconclusive ones too, knowing POSIX and jansson's macros
# (tests/static/jansson.cfg). Only our _DEFAULT_SOURCE configuration is
# checked, as it is the only one built.
run_cppcheck() {
	if ! command -v cppcheck > /dev/null; then
		echo "not ok - cppcheck: not installed (apt-get install cppcheck)"
		return 1
	fi
	# shellcheck disable=SC2086
	cppcheck --std=c11 $defs $incs --library=posix \
	    --library=tests/static/jansson.cfg \
	    --enable=warning,style,performance,portability --inconclusive \
	    --inline-suppr --suppressions-list=tests/static/cppcheck.supp \
	    --template='{file}:{line}: {severity}/{id}: {message}' \
	    --quiet -j 2 $srcs > "$tmp/cppcheck.out" 2>&1
	st=$?
	n=$(grep -c ': [a-z]*/[A-Za-z0-9_]*: ' "$tmp/cppcheck.out")
	if [ "$st" -ne 0 ] || [ "$n" -ne 0 ]; then
		echo "not ok - cppcheck: $n findings"
		sed 's/^/# /' "$tmp/cppcheck.out"
		return 1
	fi
	echo "ok - cppcheck ($nsrc files, no findings)"
}

# tests/static/clang-tidy.supp holds lines of "FILE CHECK TEXT": a
# finding of CHECK in FILE is dropped if TEXT occurs in the flagged source
# line, so that a suppression covers one statement, not a whole file.
suppressed() {	# $1: file, $2: check, $3: the source line; prints the entry
	while read -r sf sc stext; do
		[ "$sf" = "$1" ] && [ "$sc" = "$2" ] && [ -n "$stext" ] &&
		    case "$3" in *"$stext"*)
			echo "$sf $sc $stext"
			return 0 ;;
		    esac
	done < "$tmp/supp"
	return 1
}

filter_tidy() {	# reads "file:line:col: warning: ... [check]" lines
	while IFS= read -r w; do
		f=${w%%:*}
		rest=${w#*:}
		chk=$(echo "$w" | sed -n 's/.*\[\([^]]*\)\]$/\1/p')
		src=$(sed -n "${rest%%:*}p" "$f" 2>/dev/null)
		suppressed "$f" "$chk" "$src" >> "$tmp/tidy.used" ||
		    echo "$w"
	done
}

# One clang-tidy per file, two at a time (two cores), each into its own
# output so that the runs do not interleave.
tidy_all() {
	# shellcheck disable=SC2086
	echo "$srcs" | xargs -P 2 -I{} sh -c 'o="$2/$(echo "$1" | tr / _)";
	    clang-tidy --quiet "$1" -- -std=c11 '"$defs $incs"' > "$o.tidy" 2>&1;
	    echo $? > "$o.rc"' sh {} "$tmp"
	cat "$tmp"/*.tidy | sed -n "s|^$(pwd)/||; /: \(warning\|error\): /p" |
	    sort -u > "$tmp/tidy.all"
}

run_clang_tidy() {
	if ! command -v clang-tidy > /dev/null; then
		echo "not ok - clang-tidy: not installed" \
		    "(apt-get install clang-tidy)"
		return 1
	fi
	grep -v '^#' tests/static/clang-tidy.supp |
	    grep -v '^[[:space:]]*$' > "$tmp/supp"
	: > "$tmp/tidy.used"
	tidy_all
	filter_tidy < "$tmp/tidy.all" > "$tmp/tidy.left"
	n=$(wc -l < "$tmp/tidy.left")
	bad=$(grep -L '^0$' "$tmp"/*.rc | wc -l)
	if [ "$n" -ne 0 ] || [ "$bad" -ne 0 ]; then
		echo "not ok - clang-tidy: $n findings, $bad files not analysed"
		sed 's/^/# /' "$tmp/tidy.left"
		if [ "$bad" -ne 0 ]; then
			grep -h -A3 'error' "$tmp"/*.tidy | head -40 |
			    sed 's/^/# /'
		fi
		return 1
	fi
	echo "ok - clang-tidy ($nsrc files, no findings;" \
	    "$(sort -u "$tmp/tidy.used" | wc -l) suppressed by clang-tidy.supp)"
	# A suppression nothing matches any more is only reported: the
	# code was fixed, and the line can go.
	while read -r sf sc stext; do
		grep -q -x -F "$sf $sc $stext" "$tmp/tidy.used" ||
		    echo "# note: unused suppression in" \
		    "tests/static/clang-tidy.supp: $sf $sc $stext"
	done < "$tmp/supp"
}

run_cppcheck || fail=1
run_clang_tidy || fail=1
exit $fail
