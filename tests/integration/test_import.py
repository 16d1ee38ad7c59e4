"""Migration from the single database (issue 12): statuses and notes set
on the server's database before events (tipline status --db, the
status_history table) reach a workstation's case file at its first sync
as imported history (frame type 10, docs/FORMATS.md section 10), shown
by `show` as imported and unsigned, their notes opened, next to the
signed events that come after.

usage: /usr/bin/python3 tests/integration/test_import.py --build build"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_sync import setup  # noqa: E402


def t_legacy_history_imported_unsigned(st, a, b, refs):
    ref = refs[0]
    e = {"TIPLINE_DB": st.db, "TIPLINE_KEY": a.key, "TIPLINE_TEAM": st.team}
    for args in (("in-review", "--note", "Called the Kapo (2025)"),
                 ("forwarded", "--to", "Kantonspolizei BE")):
        rc, _, err = st.cli("status", ref, *args, env=e)
        assert rc == 0, err
    got = a.sync()
    assert got["reports"] == 3, got
    h = a.history(ref)
    assert [(x["event"], x["signature"], x["status"], x.get("note"),
             x.get("to")) for x in h] == [
        ("imported", "unsigned", "in-review", "Called the Kapo (2025)", None),
        ("imported", "unsigned", "forwarded", None, "Kantonspolizei BE")], h
    out = a.ok("show", ref)
    assert "in-review (imported from the server, unsigned): Called the " \
        "Kapo (2025)" in out, out
    assert "3 reports open" in a.ok("verify")


def t_events_follow_imported_history(st, a, b, refs):
    ref = refs[0]
    a.ok("status", ref, "closed", "--note", "Done")
    a.sync()
    b.sync()
    h = b.history(ref)
    assert [(x["event"], x["status"]) for x in h] == [
        ("imported", "in-review"), ("imported", "forwarded"),
        ("status", "closed")], h
    assert h[2]["author"] == "Anna Muster" and h[2]["signature"] == "valid"
    # A report without history imports none.
    assert b.history(refs[1]) == []


def t_interrupted_pull_keeps_each_report_with_its_history(st, a, b, refs):
    """3000 more reports with two history rows each, 600 more after each
    kill; a first pull killed at 8 random points of its progress: every report the case file holds has all its
    history rows (a batch never ends between a report and its
    history), and the next sync ends with every row once."""
    import random
    import signal
    import sqlite3
    import subprocess
    import time
    from test_sync import Analyst, new_refs
    rnd = random.Random(10)
    db = sqlite3.connect(st.db)
    env = bytes(db.execute("SELECT envelope FROM reports WHERE ref = ?",
                           (refs[1],)).fetchone()[0])
    taken = set(r for (r,) in db.execute("SELECT ref FROM reports"))
    db.close()

    def add(n):
        """n more reports with two history rows each; what the server
        holds, ref -> history rows."""
        con = sqlite3.connect(st.db)
        for r in new_refs(rnd, n, taken):
            cur = con.execute("INSERT INTO reports (ref, day, envelope) "
                              "VALUES (?, '2026-11-01', ?)", (r, env))
            con.executemany("INSERT INTO status_history (report_id, day, "
                            "status) VALUES (?, '2026-11-02', ?)",
                            [(cur.lastrowid, "in-review"),
                             (cur.lastrowid, "closed")])
        con.commit()
        out = dict(con.execute("SELECT r.ref, count(h.id) FROM reports r "
                               "LEFT JOIN status_history h ON h.report_id "
                               "= r.id GROUP BY r.id"))
        con.close()
        return out

    want = add(3000)
    c = Analyst(st, "carla", "Carla")
    e = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile,
             TIPLINE_KEY=c.key, TIPLINE_CASE=c.case, TIPLINE_TEAM=st.team)
    e.pop("TIPLINE_DB", None)
    argv = [os.path.join(st.build, "tipline"), "sync", "--remote",
            "local:" + st.conf]

    def held():
        if not os.path.exists(c.case):
            return {}
        cdb = sqlite3.connect(c.case, timeout=10)
        try:
            return dict(cdb.execute(
                "SELECT r.ref, count(h.id) FROM reports r LEFT JOIN "
                "status_history h ON h.report_id = r.id GROUP BY r.id"))
        except sqlite3.OperationalError:
            return {}
        finally:
            cdb.close()

    def count():
        if not os.path.exists(c.case):
            return 0
        cdb = sqlite3.connect(c.case, timeout=10)
        try:
            return cdb.execute("SELECT count(*) FROM reports").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            cdb.close()

    partial = 0
    for _ in range(8):
        n0 = count()
        target = n0 + rnd.randint(1, max(1, len(want) - n0 - 1))
        p = subprocess.Popen(argv, env=e, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             start_new_session=True)
        end = time.monotonic() + 60
        while p.poll() is None and count() < target and \
                time.monotonic() < end:
            time.sleep(0.005)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(30)
        h = held()
        bad = [r for r in h if h[r] != want[r]]
        assert bad == [], bad[:5]
        partial += 0 < len(h) < len(want)
        want = add(600)
    assert partial >= 3, "only %d kills hit a pull in progress" % partial
    rc = subprocess.run(argv, env=e, capture_output=True, timeout=300)
    assert rc.returncode == 0, rc.stderr
    assert held() == want


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        a, b, refs = setup(st)
        run.run("legacy_status_history_imported_marked_unsigned_notes_open",
                t_legacy_history_imported_unsigned, st, a, b, refs)
        run.run("signed_events_follow_imported_history_on_both",
                t_events_follow_imported_history, st, a, b, refs)
        run.run("pull_killed_never_commits_a_report_without_its_history",
                t_interrupted_pull_keeps_each_report_with_its_history,
                st, a, b, refs)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
