"""Interrupted push (issue 12): Anna's case file holds 1500 signed
events the relay lacks, 300 more after each kill; her sync is killed (the CLI and its relay,
SIGKILL) at 10 random points of the push, measured by the events the
relay has stored. After every kill the relay's events are each
author's chain without a gap or a double; the next sync completes, and
then the relay, Anna's case file and Bruno's (after his sync) hold
exactly the same events, each once.

usage: /usr/bin/python3 tests/integration/test_push_kill.py --build build"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_sync import setup  # noqa: E402
import open_envelope as oe  # noqa: E402
import open_event as ox  # noqa: E402
import sync_proto as sp  # noqa: E402

N = 1500


def events_of(path):
    db = sqlite3.connect(path, timeout=10)
    try:
        return db.execute("SELECT event_id, author, seq FROM events "
                          "ORDER BY id").fetchall()
    finally:
        db.close()


def chains_whole(rows):
    """Each author's seqs are 1..n, each once."""
    by = {}
    for _, author, seq in rows:
        by.setdefault(author, []).append(seq)
    return all(s == list(range(1, len(s) + 1)) for s in by.values())


def t_push_killed_at_10_points_resumes(st, a, b, refs):
    rnd = random.Random(5)
    a.sync()
    key = oe.unlock_identity(a.key, oe.read_passphrase(st.passfile))
    with open(st.team, "rb") as f:
        team = oe.parse_team(f.read(), "team")
    author = sp.Author(key, team)

    def add(n):
        """n more of Anna's events in her case file; how many she has."""
        rows = []
        for _ in range(n):
            ev = author.event("note", refs[author.seq % len(refs)],
                              plain=b'{"note":"n%d"}' % author.seq)
            rows.append((ox.event_id(ev), key["id"], author.seq, ev))
        db = sqlite3.connect(a.case)
        db.executemany("INSERT INTO events (event_id, author, seq, body) "
                       "VALUES (?, ?, ?, ?)", rows)
        db.commit()
        db.close()
        return author.seq

    total = add(N)
    e = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile)
    e.update(a.env())
    e.pop("TIPLINE_DB")
    argv = [os.path.join(st.build, "tipline"), "sync", "--remote",
            "local:" + st.conf]
    partial = 0
    for _ in range(10):
        n0 = len(events_of(st.db))
        target = n0 + rnd.randint(1, max(1, total - n0 - 1))
        p = subprocess.Popen(argv, env=e, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             start_new_session=True)
        end = time.monotonic() + 60
        while p.poll() is None and len(events_of(st.db)) < target and \
                time.monotonic() < end:
            time.sleep(0.005)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(30)
        got = events_of(st.db)
        assert len(got) == len(set(r[0] for r in got)), "a double"
        assert chains_whole(got), "a gap in a chain"
        partial += 0 < len(got) < total
        total = add(300)
    assert partial >= 5, "only %d kills hit a push in progress" % partial
    got = a.sync()
    assert got["refused"] == 0, got
    srv = events_of(st.db)
    mine = events_of(a.case)
    assert len(srv) == total and chains_whole(srv), len(srv)
    assert set(r[0] for r in srv) == set(r[0] for r in mine)
    assert a.sync()["sent"] == 0
    b.sync()
    theirs = events_of(b.case)
    assert len(theirs) == total and set(r[0] for r in theirs) == \
        set(r[0] for r in srv)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        a, b, refs = setup(st)
        run.run("push_killed_at_10_points_resumes_no_dup_no_gap",
                t_push_killed_at_10_points_resumes, st, a, b, refs)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
