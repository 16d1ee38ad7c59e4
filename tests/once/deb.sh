#!/bin/sh
# The Debian packages: make deb from a clean clone, lintian, contents,
# units, and install / upgrade / remove / purge in a fresh Debian 12 root
# (tests/fresh/check_deb.py says how). Run once by `make test`, and by
# `make check-deb`.
cd "$(dirname "$0")/../.." || exit 1
exec /usr/bin/python3 tests/fresh/check_deb.py "$@"
