"""Attachment limits in one place (issue 14): lib/bounds.h holds them;
every shipped nginx config lets /submit take a body of MAX_UPLOAD bytes,
in memory (client_body_buffer_size as large, so that nginx never writes
an upload to a temporary file), caps the uploads held at once, and keeps
MAX_BODY everywhere else; the real nginx refuses one byte more with 413,
and a body without Content-Length (chunked) with 411.

usage: /usr/bin/python3 tests/integration/test_upload_limits.py --build build"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP  # noqa: E402


def bounds():
    """The #defines of lib/bounds.h that are arithmetic, evaluated."""
    vals = {}
    with open(os.path.join(TOP, "lib", "bounds.h")) as f:
        for m in re.finditer(r"^#define\s+(MAX_\w+)\s+([^\n/]+)", f.read(), re.M):
            expr = m.group(2).strip()
            for k, v in vals.items():
                expr = re.sub(r"\b%s\b" % k, str(v), expr)
            if re.fullmatch(r"[0-9 ()*+\-]+", expr):
                vals[m.group(1)] = eval(expr)
    return vals


def shipped_configs():
    """Every file in the tree (but tests) with a client_max_body_size
    directive (a line that starts with it, not a mention)."""
    out = subprocess.run(["git", "-C", TOP, "grep", "-lE", r"^\s*client_max_body_size\s"],
                         capture_output=True, text=True, check=True).stdout.split()
    return [p for p in out if not p.startswith("tests/")]


def block(conf, start):
    """The text of the {...} block that opens at the first '{' after start."""
    i = conf.index("{", start)
    depth = 0
    for j in range(i, len(conf)):
        depth += {"{": 1, "}": -1}.get(conf[j], 0)
        if depth == 0:
            return conf[i:j + 1]
    raise AssertionError("unbalanced braces")


def size(s):
    m = re.fullmatch(r"(\d+)([km]?)", s)
    assert m, s
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2)]


def directive(text, name):
    return [size(v) for v in re.findall(r"^\s*%s\s+(\S+);" % name, text, re.M)]


def t_bounds_match_every_shipped_config():
    b = bounds()
    assert b["MAX_UPLOAD"] == b["MAX_FILES_BYTES"] + 1024 * 1024
    assert b["MAX_FILES_BYTES"] == 25 * 1024 * 1024 and b["MAX_FILES"] == 5
    assert b["MAX_FILE_BYTES"] == 10 * 1024 * 1024
    confs = shipped_configs()
    assert len(confs) >= 3, confs
    for p in confs:
        with open(os.path.join(TOP, p)) as f:
            conf = f.read()
        sub = block(conf, re.search(r"^\s*location = /submit \{", conf, re.M).start())
        rest = conf.replace(sub, "")
        assert directive(sub, "client_max_body_size") == [b["MAX_UPLOAD"]], p
        assert directive(sub, "client_body_buffer_size") == [b["MAX_UPLOAD"]], p
        assert re.search(r"limit_conn tipline_uploads \d+;", sub), p
        assert re.search(r"if \(\$http_transfer_encoding\)\s*\{\s*return 411;", sub), p
        # Elsewhere a report's body, in memory as well.
        assert directive(rest, "client_max_body_size") == [b["MAX_BODY"]], p
        assert directive(rest, "client_body_buffer_size") == [b["MAX_BODY"]], p


def send(st, body, headers):
    """POSTs /submit; the status only."""
    h = {"Content-Type": "multipart/form-data; boundary=x"}
    h.update(headers)
    return st.request("POST", "/submit", body, h).status


def t_nginx_refuses_one_byte_over(st):
    b = bounds()
    assert send(st, b"x" * (b["MAX_UPLOAD"] + 1), {}) == 413
    # At the limit, nginx passes it on: the program reads it as
    # multipart, refuses it (no boundary line: 400) and answers at once
    # (it once waited for a body nginx had stopped sending).
    assert send(st, b"x" * b["MAX_UPLOAD"], {}) == 400


def t_nginx_refuses_a_body_without_length(st):
    req = (b"POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: multipart/form-data; boundary=x\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           b"5\r\nhello\r\n0\r\n\r\n")
    out = st.raw(req)
    assert out.startswith(b"HTTP/1.1 411"), out[:80]


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    run.run("bounds_match_every_shipped_nginx_config",
            t_bounds_match_every_shipped_config)
    st = Stack(build)
    try:
        run.run("nginx_refuses_one_byte_over_max_upload", t_nginx_refuses_one_byte_over, st)
        run.run("nginx_refuses_a_body_without_length", t_nginx_refuses_a_body_without_length, st)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
