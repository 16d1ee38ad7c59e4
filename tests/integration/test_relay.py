"""tipline-relay (issue 12, step 3) spoken to by an independent client
(sync_proto.py, PyNaCl, from docs/FORMATS.md sections 9 and 10) over
its stdin and stdout, against a database filled by the real intake:
pull after a cursor, events pushed and verified against the server's
team file, stored once with their effect, forgeries refused, a purge
that takes the ciphertext out of the file, hostile frames that change
nothing.

usage: /usr/bin/python3 tests/integration/test_relay.py --build build"""

import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_intake import ref_of, submit  # noqa: E402
import open_envelope as oe  # noqa: E402
import sync_proto as sp  # noqa: E402
from sync_proto import frame  # noqa: E402


def keygen(st, base, name):
    st.cli_ok("keygen", "--name", name, "-o", os.path.join(st.dir, base))
    return os.path.join(st.dir, base + ".key"), \
        os.path.join(st.dir, base + ".pub")


def relay(st):
    return sp.Relay([os.path.join(st.build, "tipline-relay"), "--config",
                     st.conf])


def state(st):
    """What a refused input must not change: the rows and the bytes."""
    rows = st.query("SELECT id, ref, status, hex(envelope) FROM reports "
                    "ORDER BY id")
    ev = st.query("SELECT id, hex(body) FROM events ORDER BY id")
    return hashlib.sha256(json.dumps([rows, ev]).encode()).hexdigest()


def setup(st):
    ctx = {}
    ctx["a_key"], a_pub = keygen(st, "anna", "Anna Muster")
    ctx["b_key"], b_pub = keygen(st, "bruno", "Bruno Beispiel")
    ctx["m_key"], _ = keygen(st, "mallory", "Mallory")
    team = b""
    for p in (a_pub, b_pub):
        with open(p, "rb") as f:
            team += f.read()
    with open(st.pub, "wb") as f:
        f.write(team)
    st.stop_fcgi()
    st.start_fcgi()
    toks = st.tokens(3)
    ctx["refs"] = [ref_of(st, submit(st, t, {"description": "Report %d, "
                                         "sealed" % i}))
                   for i, t in enumerate(toks)]
    t = oe.parse_team(team, "team")
    pas = oe.read_passphrase(st.passfile)
    ctx["anna"] = sp.Author(oe.unlock_identity(ctx["a_key"], pas), t)
    ctx["bruno"] = sp.Author(oe.unlock_identity(ctx["b_key"], pas), t)
    ctx["mallory"] = sp.Author(oe.unlock_identity(ctx["m_key"], pas), t)
    return ctx


def t_pull_after_a_cursor(st, ctx):
    r = relay(st)
    r.hello()
    got, cur = r.pull()
    reps = [sp.report_frame(b) for t, b in got if t == sp.REPORT]
    assert [x[1] for x in reps] == ctx["refs"], reps
    db = st.query("SELECT id, envelope FROM reports ORDER BY id")
    assert [(x[0], x[4]) for x in reps] == [(i, bytes(e)) for i, e in db]
    assert reps[0][3] == 1 and cur == (db[-1][0], 0), cur
    got, cur2 = r.pull(db[0][0], 0)
    assert [sp.report_frame(b)[1] for _, b in got] == ctx["refs"][1:]
    assert cur2 == cur
    got, cur3 = r.pull(*cur)
    assert got == [] and cur3 == cur
    # The kinds this relay hands out none of keep the client's cursor.
    got, _ = r.pull(*cur, 7, 2 ** 64 - 1)
    assert got == [] and r.cursors == cur + (7, 2 ** 64 - 1), r.cursors
    rc, err = r.close()
    assert rc == 0 and err == "", (rc, err)


def t_push_verified_stored_once_with_effect(st, ctx):
    ref = ctx["refs"][0]
    ev = ctx["anna"].event("status", ref, "in-review",
                           b'{"note":"looking into it"}')
    r = relay(st)
    r.hello()
    assert r.push(ev) == (0, "stored")
    assert r.push(ev) == (1, "already stored")
    assert st.query("SELECT status FROM reports WHERE ref = ?",
                    ref) == [("in-review",)]
    assert st.query("SELECT count(*) FROM events")[0][0] == 1
    # It comes back in a pull, byte for byte.
    got, cur = r.pull(10 ** 6, 0)
    assert got == [(sp.EVENT, (1).to_bytes(8, "big") + ev)], got
    # A second author's chain starts at 1 too; a route sets forwarded.
    ev2 = ctx["bruno"].event("route", ref, "forwarded",
                             b'{"to":"Kapo ZH"}')
    assert r.push(ev2) == (0, "stored")
    assert st.query("SELECT status FROM reports WHERE ref = ?",
                    ref) == [("forwarded",)]
    assert r.close()[0] == 0


def t_forgeries_refused_and_nothing_changes(st, ctx):
    ref = ctx["refs"][1]
    anna = ctx["anna"]
    r = relay(st)
    r.hello()
    before = state(st)
    cases = []
    cases.append(("unknown signer", ctx["mallory"].event(
        "note", ref, None, b'{"note":"forged"}'), "team file"))
    good = anna.event("status", ref, "closed", b'{"note":"x"}',
                      commit=False)
    clear = bytearray(good)
    clear[76] = 5                   # closed -> spam
    cases.append(("changed clear part", bytes(clear), "signature"))
    sealed = bytearray(good)
    sealed[300] ^= 1
    cases.append(("changed sealed part", bytes(sealed), "signature"))
    cases.append(("replay of seq 1", anna.event(
        "purge", ref, seq=1, prev=bytes(32), commit=False), "replayed"))
    cases.append(("seq 2 dropped", anna.event(
        "purge", ref, seq=anna.seq + 2, commit=False), "out of order"))
    cases.append(("wrong link", anna.event(
        "purge", ref, prev=b"\x01" * 32, commit=False), "out of order"))
    cases.append(("not an event", b"TLEE" + bytes(141), "not a tipline"))
    for name, raw, want in cases:
        code, msg = r.push(raw)
        assert code == 2 and want in msg, (name, code, msg)
    assert state(st) == before
    # The good one is still accepted after all that.
    assert r.push(good)[0] == 0
    anna.seq += 1
    anna.last = sp.ox.event_id(good)
    assert r.close()[0] == 0


def t_purge_removes_the_ciphertext_from_the_file(st, ctx):
    ref = ctx["refs"][2]
    env = bytes(st.query("SELECT envelope FROM reports WHERE ref = ?",
                         ref)[0][0])
    chunks = [env[i:i + 48] for i in (200, 600, 1000)]
    r = relay(st)
    r.hello()
    assert r.push(ctx["bruno"].event("purge", ref))[0] == 0
    assert st.query("SELECT count(*) FROM reports WHERE ref = ?",
                    ref)[0][0] == 0
    found = st.files_containing(chunks)
    assert found == [], found
    got, _ = r.pull(0, 0)
    assert ref not in [sp.report_frame(b)[1] for t, b in got
                       if t == sp.REPORT]
    assert r.close()[0] == 0


def hostile(st, data, want):
    """Sends data, then closes: the relay answers ERROR (if want is not
    None) with want in its message, exits, and changes nothing."""
    before = state(st)
    r = relay(st)
    try:
        r.send(data)
        r.p.stdin.close()       # a truncated frame must not wait forever
    except BrokenPipeError:
        pass
    out = r.p.stdout.read()
    rc, err = r.close()
    assert state(st) == before
    if want is None:
        return rc, err, out
    assert rc == 1 and want in err, (rc, err)
    # The last frame on stdout is an ERROR that says the same.
    if out[:4] != b"\0\0\0\x08" or out[4:5] != b"\x01":  # after a HELLO
        last = out
    else:
        last = out[12:]
    n = int.from_bytes(last[:4], "big")
    assert last[4] == sp.ERROR and len(last) == 4 + n, out[:200]
    assert want.encode() in last, out[:200]
    return rc, err, out


def t_hostile_frames_change_nothing(st, ctx):
    hello = frame(sp.HELLO, b"TLSYNC\x02")
    hostile(st, frame(sp.HELLO, b"TLSYNC\x01"), "unknown protocol version")
    hostile(st, frame(sp.HELLO, b"TLSYNC\x03"), "unknown protocol version")
    hostile(st, frame(sp.HELLO, b"SSH-2.0"), "unknown protocol version")
    hostile(st, b"\xff\xff\xff\xff" + b"x" * 100, "frame length out of "
            "bounds")
    hostile(st, hello + b"\x00\x00\x00\x00", "frame length out of bounds")
    hostile(st, hello + (100).to_bytes(4, "big") + b"\x06" + b"x" * 20,
            "truncated frame")
    hostile(st, hello + frame(42, b"abc"), "unknown frame type")
    hostile(st, hello + frame(sp.PULL, b"\x00" * 16), "malformed frame "
            "body")
    hostile(st, hello + frame(sp.PULL, b"\x00" * 31), "malformed frame "
            "body")
    hostile(st, hello + frame(sp.REPORT, b"\x00" * 40), "malformed frame "
            "body")
    hostile(st, frame(sp.PUSH, b"x" * 200), "expected HELLO")
    hostile(st, b"\x00\x01\x00\x00" + os.urandom(64), "truncated")
    # A clean close after HELLO is not an error.
    rc, err, _ = hostile(st, hello, None)
    assert rc == 0 and err == "", (rc, err)


def t_bad_team_file_stops_the_relay(st, ctx):
    with open(st.pub, "rb") as f:
        team = f.read()
    v1 = os.path.join(st.dir, "v1only")
    st.cli_ok("keygen", "-o", v1)
    p = subprocess.run([os.path.join(st.build, "tipline-relay"), "--db",
                        st.db, "--team", v1 + ".pub"], input=b"",
                       capture_output=True, timeout=30)
    assert p.returncode == 1 and b"team file" in p.stderr and \
        b"TLID1" in p.stderr, p.stderr
    assert p.stdout == b""
    assert team


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        ctx = setup(st)
        run.run("pull_after_a_cursor_returns_reports_and_cursors",
                t_pull_after_a_cursor, st, ctx)
        run.run("push_verified_stored_once_with_its_effect",
                t_push_verified_stored_once_with_effect, st, ctx)
        run.run("forgeries_refused_and_nothing_changes",
                t_forgeries_refused_and_nothing_changes, st, ctx)
        run.run("purge_removes_the_ciphertext_from_the_server_file",
                t_purge_removes_the_ciphertext_from_the_file, st, ctx)
        run.run("hostile_frames_get_a_clear_error_and_change_nothing",
                t_hostile_frames_change_nothing, st, ctx)
        run.run("relay_refuses_a_team_file_without_identities",
                t_bad_team_file_stops_the_relay, st, ctx)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
