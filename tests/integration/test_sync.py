"""tipline sync and the case file (issue 12, steps 4 and 5), local mode
(the relay as a child over pipes): two analysts with their own keys and
case files; A sets a status with a note and routes a report, B syncs and
sees both with A's name and a valid signature; concurrent changes by A
and B end up in both histories; a purge removes the report from the
server file and from both workstations; a sync killed at random points
of a large pull resumes with nothing missing or doubled.

usage: /usr/bin/python3 tests/integration/test_sync.py --build build"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_intake import ref_of, submit  # noqa: E402


class Analyst:
    def __init__(self, st, base, name):
        self.st = st
        self.name = name
        self.key = os.path.join(st.dir, base + ".key")
        self.pub = os.path.join(st.dir, base + ".pub")
        self.case = os.path.join(st.dir, base + "-case.db")
        st.cli_ok("keygen", "--name", name, "-o", os.path.join(st.dir, base))

    def env(self):
        return {"TIPLINE_KEY": self.key, "TIPLINE_CASE": self.case,
                "TIPLINE_TEAM": self.st.team, "TIPLINE_DB": ""}

    def run(self, *args):
        e = dict(os.environ)
        e.update({"TIPLINE_PASSPHRASE_FILE": self.st.passfile})
        e.update(self.env())
        e.pop("TIPLINE_DB")
        p = subprocess.run([os.path.join(self.st.build, "tipline")] +
                           list(args), cwd=self.st.dir, env=e,
                           capture_output=True, timeout=300)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def ok(self, *args):
        rc, out, err = self.run(*args)
        assert rc == 0, "tipline %s: %d %s" % (" ".join(args), rc, err)
        return out

    def sync(self):
        out = self.ok("sync", "--remote", "local:" + self.st.conf, "--json")
        return json.loads(out)

    def history(self, ref):
        return json.loads(self.ok("show", "--json", ref))["history"]


def setup(st):
    a = Analyst(st, "anna", "Anna Muster")
    b = Analyst(st, "bruno", "Bruno Beispiel")
    st.team = os.path.join(st.dir, "team")
    with open(st.team, "wb") as f:
        for x in (a, b):
            with open(x.pub, "rb") as g:
                f.write(g.read())
    with open(st.team, "rb") as f, open(st.pub, "wb") as g:
        g.write(f.read())       # the server's team file is the same
    st.stop_fcgi()
    st.start_fcgi()
    toks = st.tokens(3)
    refs = [ref_of(st, submit(st, t, {"description": "Case %d: a farm near "
                                  "the border" % i})) for i, t in
            enumerate(toks)]
    return a, b, refs


def t_first_sync_pulls_everything(st, a, b, refs):
    got = a.sync()
    assert got["reports"] == 3 and got["sent"] == 0, got
    again = a.sync()
    assert again["reports"] == 0 and again["events"] == 0, again
    out = a.ok("list")
    assert sorted(l.split("\t")[0] for l in out.splitlines()) == \
        sorted(refs), out
    assert "a farm near the border" in a.ok("show", refs[0])


def t_a_decides_b_sees_it_signed(st, a, b, refs):
    ref = refs[0]
    a.ok("status", ref, "in-review", "--note", "Called the Kapo")
    a.ok("status", ref, "forwarded", "--to", "Kantonspolizei ZH")
    got = a.sync()
    assert got["sent"] == 2, got
    # The relay recorded the coarse status in clear.
    assert st.query("SELECT status FROM reports WHERE ref = ?",
                    ref) == [("forwarded",)]
    got = b.sync()
    assert got["reports"] == 3 and got["events"] == 2, got
    h = b.history(ref)
    assert [(x["author"], x["status"], x.get("note"), x.get("to"),
             x["signature"]) for x in h] == [
        ("Anna Muster", "in-review", "Called the Kapo", None, "valid"),
        ("Anna Muster", "forwarded", None, "Kantonspolizei ZH", "valid")], h
    out = b.ok("show", ref)
    assert "forwarded by Anna Muster" in out and "Kantonspolizei ZH" in out
    assert "forwarded" in b.ok("list", "--status", "forwarded")


def t_concurrent_changes_kept_in_both(st, a, b, refs):
    ref = refs[1]
    a.ok("status", ref, "closed", "--note", "Anna: nothing to do")
    b.ok("status", ref, "in-review", "--note", "Bruno: wait, a lead")
    a.sync()
    b.sync()
    a.sync()
    for x in (a, b):
        h = x.history(ref)
        who = sorted((e["author"], e["note"]) for e in h)
        assert who == [("Anna Muster", "Anna: nothing to do"),
                       ("Bruno Beispiel", "Bruno: wait, a lead")], (x.name, h)
        assert all(e["signature"] == "valid" for e in h)


def t_purge_everywhere(st, a, b, refs):
    ref = refs[2]
    env = bytes(st.query("SELECT envelope FROM reports WHERE ref = ?",
                         ref)[0][0])
    chunks = [env[i:i + 48] for i in (300, 700)]
    rc, _, err = a.run("purge", ref)
    assert rc == 0 and "purged 1" in err, err
    assert a.run("show", ref)[0] == 1
    a.sync()
    assert st.query("SELECT count(*) FROM reports WHERE ref = ?",
                    ref)[0][0] == 0
    b.sync()
    assert b.run("show", ref)[0] == 1
    found = st.files_containing(chunks)
    assert found == [], found


def t_forged_event_in_server_db_flagged(st, a, b, refs):
    """Mallory, with the server's database but no team key, adds an
    event signed with her own key: sync does not take it, and nothing
    in either case file changes."""
    m = Analyst(st, "mallory", "Mallory")
    before = b.ok("show", "--json", refs[0])
    # A valid event of Mallory's own, written straight into the server.
    import open_envelope as oe
    import sync_proto as sp
    key = oe.unlock_identity(m.key, oe.read_passphrase(st.passfile))
    with open(st.team, "rb") as f:
        team = oe.parse_team(f.read(), "team")
    ev = sp.Author(key, team).event("status", refs[0], "spam",
                                    b'{"note":"forged"}')
    db = sqlite3.connect(st.db)
    db.execute("INSERT INTO events (event_id, author, seq, body) VALUES "
               "(?, ?, 1, ?)", (sp.ox.event_id(ev), key["id"], ev))
    db.commit()
    db.close()
    rc, out, err = b.run("sync", "--remote", "local:" + st.conf)
    assert rc == 1 and "not in the local team file" in err, (rc, out, err)
    assert b.ok("show", "--json", refs[0]) == before
    db = sqlite3.connect(st.db)     # out again, for the tests after this
    db.execute("DELETE FROM events WHERE author = ?", (key["id"],))
    db.commit()
    db.close()


def t_planted_key_never_sealed_named_by_verify(st, a, b, refs):
    """A key added to the server's recipient_keys, never in the team
    file: a note written with the team file is not sealed to it, and
    verify names it."""
    import nacl.bindings as nb
    import open_envelope as oe
    pk, _ = nb.crypto_box_keypair()
    kid = oe.key_id(pk)
    db = sqlite3.connect(st.db)
    db.execute("INSERT INTO recipient_keys VALUES (?, ?)", (kid, pk))
    db.commit()
    db.close()
    # The legacy direct mode on the server's file, with the team file.
    e = {"TIPLINE_DB": st.db, "TIPLINE_KEY": a.key,
         "TIPLINE_TEAM": st.team}
    rc, out, err = st.cli("verify", env=e)
    assert rc == 1 and kid.hex() in err and "not in the team file" in err, \
        (rc, out, err)
    rc, out, err = st.cli("status", refs[1], "closed", "--note", "n", env=e)
    assert rc == 0, err
    note = bytes(st.query("SELECT note FROM status_history ORDER BY id "
                          "DESC LIMIT 1")[0][0])
    ids = [note[6 + 88 * i:14 + 88 * i] for i in range(note[5])]
    assert kid not in ids and len(ids) == 2, ids
    # The case files never hold it: their verify is clean of it.
    rc, out, err = a.run("verify")
    assert kid.hex() not in err, err


def t_review_on_a_case_file_signs(st, a, b, refs):
    """review's decisions on a case file are signed route events."""
    import pty
    import select
    ref = ref_of(st, submit(st, st.tokens(1)[0], {"description": "review me"}))
    b.sync()
    env = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile, **b.env())
    env.pop("TIPLINE_DB")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(os.path.join(st.build, "tipline"), ["tipline", "review"],
                  env)
    out = b""

    def until(marker, timeout=60):
        nonlocal out
        end = time.monotonic() + timeout
        while marker not in out:
            assert time.monotonic() < end, out[-500:]
            r, _, _ = select.select([fd], [], [], 1)
            if r:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        assert marker in out, out[-500:]
        out = out[out.index(marker) + len(marker):]
    try:
        until(b"1 new report")
        until(b"[q]uit: ")
        os.write(fd, b"f")
        until(b"Forwarded to: ")
        os.write(fd, b"victim support GE\r")
        until(b"decided.")
    finally:
        for _ in range(100):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WEXITSTATUS(status) == 0, out[-500:]
    h = b.history(ref)
    assert [(e["author"], e["event"], e["to"], e["signature"]) for e in h] \
        == [("Bruno Beispiel", "route", "victim support GE", "valid")], h
    assert b.sync()["sent"] == 1


def new_refs(rnd, n, taken):
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    out = set()
    while len(out) < n:
        r = "TL-%s-%s" % ("".join(rnd.choice(alphabet) for _ in range(4)),
                          "".join(rnd.choice(alphabet) for _ in range(4)))
        if r not in taken:
            out.add(r)
    taken |= out
    return out


def t_interrupted_sync_resumes(st, a, b, refs):
    """A large pull killed at 20 random points (the CLI and its relay,
    SIGKILL), more reports arriving between the kills: every state in
    between has no report twice, and the next sync ends with every
    report once, and the relay's rows unchanged."""
    rnd = random.Random(12)
    db = sqlite3.connect(st.db)
    env = bytes(db.execute("SELECT envelope FROM reports LIMIT 1")
                .fetchone()[0])
    taken = set(r for (r,) in db.execute("SELECT ref FROM reports"))
    db.close()

    def add(n):
        con = sqlite3.connect(st.db)
        con.executemany("INSERT INTO reports (ref, day, envelope) VALUES "
                        "(?, '2026-12-01', ?)",
                        [(r, env) for r in new_refs(rnd, n, taken)])
        con.commit()
        total = con.execute("SELECT count(*) FROM reports").fetchone()[0]
        con.close()
        return total

    total = add(4000)
    c = Analyst(st, "carla", "Carla")
    e = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile,
             TIPLINE_KEY=c.key, TIPLINE_CASE=c.case, TIPLINE_TEAM=st.team)
    e.pop("TIPLINE_DB", None)
    argv = [os.path.join(st.build, "tipline"), "sync", "--remote",
            "local:" + st.conf]
    def count():
        """(rows, distinct refs) in Carla's case file; 0 before it has
        its tables (a sync killed before the first migration)."""
        if not os.path.exists(c.case):
            return 0, 0
        cdb = sqlite3.connect(c.case, timeout=10)
        try:
            return cdb.execute("SELECT count(*), count(DISTINCT ref) FROM "
                               "reports").fetchone()
        except sqlite3.OperationalError:
            return 0, 0
        finally:
            cdb.close()

    # The kill points are random points of the pull's progress (rows
    # committed), not of time, so that a slower build (ASan) is cut at
    # the same kind of places.
    partial = 0
    for _ in range(20):
        n0 = count()[0]
        target = n0 + rnd.randint(1, max(1, total - n0 - 1))
        p = subprocess.Popen(argv, env=e, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             start_new_session=True)
        end = time.monotonic() + 60
        while p.poll() is None and count()[0] < target and \
                time.monotonic() < end:
            time.sleep(0.005)
        try:
            os.killpg(p.pid, signal.SIGKILL)    # the CLI and its relay
        except ProcessLookupError:
            pass
        p.wait(30)
        n, distinct = count()
        assert n == distinct, (n, distinct)     # never a double
        partial += 0 < n < total
        total = add(1200)
    assert partial >= 5, "only %d kills hit a pull in progress" % partial
    rc = subprocess.run(argv, env=e, capture_output=True, timeout=300)
    assert rc.returncode == 0, rc.stderr
    cdb = sqlite3.connect(c.case)
    got = set(r for (r,) in cdb.execute("SELECT ref FROM reports"))
    n = cdb.execute("SELECT count(*) FROM reports").fetchone()[0]
    cdb.close()
    srv = set(r for (r,) in st.query("SELECT ref FROM reports"))
    assert n == len(got) == len(srv) and got == srv, (n, len(got), len(srv))


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        a, b, refs = setup(st)
        run.run("first_sync_pulls_everything_second_nothing",
                t_first_sync_pulls_everything, st, a, b, refs)
        run.run("a_sets_status_note_route_b_sees_them_with_a_name",
                t_a_decides_b_sees_it_signed, st, a, b, refs)
        run.run("concurrent_changes_kept_in_both_histories",
                t_concurrent_changes_kept_in_both, st, a, b, refs)
        run.run("purge_leaves_server_file_and_both_workstations",
                t_purge_everywhere, st, a, b, refs)
        run.run("event_forged_in_server_db_not_taken",
                t_forged_event_in_server_db_flagged, st, a, b, refs)
        run.run("planted_db_key_never_sealed_to_named_by_verify",
                t_planted_key_never_sealed_named_by_verify, st, a, b, refs)
        run.run("review_on_a_case_file_writes_signed_events",
                t_review_on_a_case_file_signs, st, a, b, refs)
        run.run("sync_killed_at_20_points_resumes_no_dup_no_gap",
                t_interrupted_sync_resumes, st, a, b, refs)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
