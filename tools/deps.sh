#!/bin/sh
# Installs the Debian 12 packages tipline needs: `deps.sh run` what
# building and running need (make run), `deps.sh test` that and what only
# the tests, fuzzing, static analysis and the benchmark need (make test),
# `deps.sh deb` what building the Debian packages needs (make deb): the
# Build-Depends of debian/control, with apt-get build-dep.
# Installs with apt-get when run as root, else prints the exact command.
# README.md ("Dependencies") says why each package is here.
set -eu
RUN="build-essential pkg-config libfcgi-dev libsodium-dev libsqlite3-dev
libjansson-dev nginx gettext"
TEST="clang libclang-rt-14-dev libfcgi-bin spawn-fcgi curl python3-nacl wrk
systemd strace openssl sqlite3 cppcheck clang-tidy chromium mmdebstrap git
ca-certificates iproute2 lintian openssh-server openssh-client age"
case "${1:-run}" in
run)	PKGS=$RUN ;;
test)	PKGS="$RUN $TEST"
	# The browser tests' Node.js and npm, unless a node and npm are
	# installed already (from Debian or elsewhere).
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	    PKGS="$PKGS nodejs npm" ;;
deb)	# dpkg-checkbuilddeps reads debian/control, the one list.
	PKGS="dpkg-dev git"
	if command -v dpkg-checkbuilddeps >/dev/null 2>&1 &&
	    dpkg-checkbuilddeps 2>/dev/null; then
		:
	elif [ "$(id -u)" = 0 ]; then
		echo "tipline: installing the build dependencies of debian/control"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ./
	else
		echo "tipline: run: sudo apt-get build-dep ./" >&2
		exit 1
	fi ;;
*)	echo "usage: deps.sh run|test|deb" >&2; exit 2 ;;
esac
missing=""
for p in $PKGS; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "tipline: installing:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
else
	echo "tipline: missing packages:$missing" >&2
	echo "tipline: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
