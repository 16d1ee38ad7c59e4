#!/bin/sh
# The browser suite, once per `make test` (not per build): the
# translation checks, then the form in Debian's headless Chromium with
# JavaScript off, through a real nginx and tipline-fcgi, against the
# first build in TIPLINE_BUILDS (default: build). Installs the npm
# packages pinned in tests/e2e/package-lock.json into tests/e2e/
# node_modules when they are missing or not the pinned versions.
# Prints "ok - NAME" / "not ok - NAME" lines.
set -u
cd "$(dirname "$0")/../.."
b=${TIPLINE_BUILDS:-build}
b=${b%% *}
e2e=tests/e2e

if [ ! -x /usr/bin/chromium ]; then
	echo "not ok - e2e: /usr/bin/chromium is missing (tools/deps.sh installs it)"
	exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "not ok - e2e: node and npm are missing (tools/deps.sh installs them)"
	exit 1
fi
# The installed versions must be the ones package.json pins.
pinned() {
	node -e '
	    const want = require("./" + process.argv[1] + "/package.json").dependencies;
	    for (const [name, v] of Object.entries(want)) {
	        const got = require("./" + process.argv[1] + "/node_modules/" +
	            name + "/package.json").version;
	        if (got !== v) process.exit(1);
	    }' "$e2e" 2>/dev/null
}
if ! pinned; then
	echo "# installing the npm packages of $e2e (npm ci)"
	if ! npm ci --prefix "$e2e" --no-audit --no-fund --loglevel=error \
	    >&2 || ! pinned; then
		echo "not ok - e2e: npm ci in $e2e failed"
		exit 1
	fi
fi
exec /usr/bin/python3 "$e2e/run.py" --build "$b"
