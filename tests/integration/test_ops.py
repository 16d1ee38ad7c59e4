"""Operations: GET /healthz, and SIGHUP reloading the recipients file
(a report after the reload opens with the new key; a bad file keeps the
old keys and the service running).

usage: /usr/bin/python3 tests/integration/test_ops.py --build build"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, wait_for  # noqa: E402
from test_intake import ref_of, submit  # noqa: E402


def t_healthz(st):
    r = st.request("GET", "/healthz")
    assert r.status == 200 and r.body == b"ok\n", (r.status, r.body)
    assert r.header("Cache-Control") == "no-store"
    db = sqlite3.connect(st.db, timeout=1, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        r = st.request("GET", "/healthz")
        assert r.status == 503 and r.body == b"unavailable\n"
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert st.request("GET", "/healthz").status == 200


def replaced(st, old):
    now = st.workers()
    return len(now) == len(old) and not set(now) & set(old)


def t_sighup_reload(st):
    other = os.path.join(st.dir, "other")
    st.cli_ok("keygen", "-o", other)
    with open(st.pub) as f:
        mine = f.read()
    with open(other + ".pub") as f:
        theirs = f.read()
    # a bad file: the old keys stay, the service answers
    with open(st.pub, "w") as f:
        f.write("# broken\nTLPK1 nonsense\n")
    old = st.workers()
    os.kill(st.fcgi.pid, signal.SIGHUP)
    wait_for(lambda: "reload failed" in st.logs(), what="the reload to fail")
    assert st.workers() == old
    tok = st.tokens(1)[0]
    ref = ref_of(st, submit(st, tok, {"description": "after a bad reload"}))
    st.cli_ok("show", ref)
    # a good file with a second key: new workers, new reports sealed to both
    with open(st.pub, "w") as f:
        f.write(mine + theirs)
    old = st.workers()
    os.kill(st.fcgi.pid, signal.SIGHUP)
    wait_for(lambda: replaced(st, old), what="workers restarted")
    assert "recipients reloaded: 2 keys" in st.logs()
    tok = st.tokens(1)[0]
    ref2 = ref_of(st, submit(st, tok, {"description": "after a good reload"}))
    env = dict(os.environ, TIPLINE_DB=st.db, TIPLINE_PASSPHRASE_FILE=st.passfile)
    p = subprocess.run([os.path.join(st.build, "tipline"), "show", "--json", ref2,
                        "--key", other + ".key"], env=env, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["record"]["fields"]["description"] == "after a good reload"
    p = subprocess.run([os.path.join(st.build, "tipline"), "show", ref,
                        "--key", other + ".key"], env=env, capture_output=True, timeout=60)
    assert p.returncode == 1 and b"not sealed to this key" in p.stderr
    assert st.query("SELECT count(*) FROM recipient_keys")[0][0] == 2


def t_sigterm(st):
    rc = st.stop()
    assert rc == 0, rc


def t_no_sanitizer_reports(st):
    st.assert_no_sanitizer_reports()


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        run.run("healthz_200_when_writable_503_when_locked", t_healthz, st)
        run.run("sighup_reloads_recipients_bad_file_keeps_old", t_sighup_reload, st)
        run.run("sigterm_after_reload_exits_0", t_sigterm, st)
        run.run("no_sanitizer_reports_in_logs", t_no_sanitizer_reports, st)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
