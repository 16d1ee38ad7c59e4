"""Envelope v1 and v2 (docs/FORMATS.md section 3) through a real nginx
and a real tipline-fcgi: with envelope_version = 1 and = 2 (the default),
a report is stored in that version, and both the independent PyNaCl
opener (open_envelope.py, written from FORMATS.md) and `tipline show
--json` open it to what was sent; a changed byte in the wrapped content
key of a v2 stanza, or the envelope under another reference, does not
open. A database holding both versions is read whole by `tipline list`.

usage: /usr/bin/python3 tests/integration/test_envelope_versions.py
       --build build
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP  # noqa: E402

OPENER = os.path.join(TOP, "tests", "integration", "open_envelope.py")


def pynacl_open(st, source, ref, raw=False):
    args = ["/usr/bin/python3", OPENER] + (["--raw"] if raw else []) + \
        [source, ref, st.key, st.passfile]
    return subprocess.run(args, capture_output=True, timeout=120)


def send(st, text):
    r = st.post({"token": st.token(), "description": text,
                 "canton": "VS"})
    return st.received_ref(r)


def check_version(st, version):
    text = "envelope v%d: Ünïcödé ✓ & <b>" % version
    ref = send(st, text)
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", ref)[0][0]
    assert env[:5] == b"TLEV" + bytes([version]), env[:6]
    p = pynacl_open(st, st.db, ref)
    assert p.returncode == 0, p.stderr.decode()
    assert json.loads(p.stdout)["fields"]["description"] == text
    shown = json.loads(st.cli_ok("show", "--json", ref))
    assert shown["record"]["fields"]["description"] == text
    # the envelope under another reference does not open
    path = os.path.join(st.dir, "v%d.env" % version)
    with open(path, "wb") as f:
        f.write(env)
    other = ref[:-1] + ("A" if ref[-1] != "A" else "B")
    assert pynacl_open(st, path, other, raw=True).returncode != 0
    if version == 2:
        # a changed byte in the wrapped content key: no opening
        bad = bytearray(env)
        bad[38 + 8 + 5] ^= 1
        with open(path, "wb") as f:
            f.write(bad)
        assert pynacl_open(st, path, ref, raw=True).returncode != 0
        assert len(env) == 6 + 32 + 56 + 24 + 1024 + 16
    return ref


def t_both_versions(build):
    v1 = Stack(build, extra_config="token_min_age = 0\n"
               "envelope_version = 1\n", workers=1)
    ok = False
    try:
        r1 = check_version(v1, 1)
        # the same database, the service now sealing v2
        v1.stop_fcgi()
        with open(v1.conf) as f:
            conf = f.read().replace("envelope_version = 1",
                                    "envelope_version = 2")
        with open(v1.conf, "w") as f:
            f.write(conf)
        v1.start_fcgi()
        r2 = check_version(v1, 2)
        listed = v1.cli_ok("list", "--json")
        refs = [json.loads(line)["ref"] for line in listed.splitlines()]
        assert sorted(refs) == sorted([r1, r2]), refs
        v1.assert_no_sanitizer_reports()
        ok = True
    finally:
        v1.stop()
        v1.cleanup(keep=not ok)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] \
        if "--build" in sys.argv else "build"
    run = Runner()
    run.run("v1_and_v2_envelopes_open_with_pynacl_and_the_cli",
            t_both_versions, build)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
