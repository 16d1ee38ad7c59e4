#!/bin/sh
# Installs what tipline needs to build, run and test, on Debian 12:
# with apt-get when run as root, else prints the exact command.
set -eu
PKGS="build-essential pkg-config clang libfcgi-dev libfcgi-bin libsodium-dev
libsqlite3-dev libjansson-dev nginx spawn-fcgi curl python3-nacl wrk
systemd strace openssl sqlite3 cppcheck clang-tidy"
# The browser tests: Debian's Chromium (never a downloaded one), gettext
# (msgfmt compiles the translations), and Node.js with npm unless a node
# and npm are installed already.
PKGS="$PKGS chromium gettext"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    PKGS="$PKGS nodejs npm"
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
