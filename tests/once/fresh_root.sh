#!/bin/sh
# A fresh Debian 12 root: the first `make run` serves the form and takes a
# report (tests/fresh/fresh_root.py says how). Run once by `make test`.
cd "$(dirname "$0")/../.." || exit 1
exec /usr/bin/python3 tests/fresh/fresh_root.py
