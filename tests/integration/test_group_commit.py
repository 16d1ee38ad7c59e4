"""Group commit (issue 17; cgi/writer.h): one writer process owns the
database's write connection and commits the rows of all workers together,
answering each only after the COMMIT. Through a real nginx and a real
tipline-fcgi with 8 workers:

- rows sent while the writer cannot run are committed as one batch when
  it can, and the same token sent by many workers at once still makes
  exactly one report (one reference for all);
- a writer killed with a row in hand: the worker waiting for it answers
  503 at once (not after its timeout), the parent starts a new writer,
  and the same form sent again is stored once. (A row still queued in
  the socket when the writer dies is committed and answered by the next
  writer.)

A failed COMMIT failing the whole batch is in tests/unit/t_store.c
(a_failed_batch_stores_nothing_and_fails_every_row) and, through the
writer, in test_intake.py (failed_database_write_gives_503_then_resumes).

usage: /usr/bin/python3 tests/integration/test_group_commit.py --build build
"""

import os
import re
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, wait_for, receipt_of, ref_by_receipt  # noqa: E402,E501

WORKERS = 8


def ref_of(st, r):
    """The received page (200, a receipt), and the report it names."""
    assert r is not None and not isinstance(r, Exception), r
    assert receipt_of(r), "expected the received page, got %s" % r.status
    return ref_by_receipt(st.db, receipt_of(r))


def waiting_for_writer(pid):
    """True when the worker sits in poll() on its writer socket (an idle
    worker sits in accept())."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return "poll" in f.read()
    except OSError:
        return False


def send_all(st, bodies):
    """Posts every body from its own thread; the answers, in order."""
    out = [None] * len(bodies)

    def one(i):
        try:
            out[i] = st.post(bodies[i])
        except Exception as e:      # noqa: BLE001 (reported below)
            out[i] = e
    ts = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in ts:
        t.start()
    return ts, out


def t_one_batch_one_report_per_token(st):
    tok = st.token()
    others = [st.token() for _ in range(WORKERS - 4)]
    before = st.count()
    writer = st.writer()
    assert writer is not None, "no writer process"
    os.kill(writer, signal.SIGSTOP)
    try:
        bodies = [{"token": tok, "description": "same token %d" % i}
                  for i in range(4)]
        bodies += [{"token": t, "description": "other %d" % i}
                   for i, t in enumerate(others)]
        ts, out = send_all(st, bodies)
        # every worker has its row with the stopped writer
        wait_for(lambda: sum(waiting_for_writer(w) for w in st.workers())
                 == WORKERS, what="all workers waiting for the writer")
        assert st.count() == before, "stored while the writer was stopped"
    finally:
        os.kill(writer, signal.SIGCONT)
    for t in ts:
        t.join(30)
    refs = [ref_of(st, r) for r in out]
    assert len(set(refs[:4])) == 1, "one token, several references: %r" % refs
    assert len(set(refs)) == len(others) + 1, refs
    assert st.count() == before + len(others) + 1
    assert st.writer() == writer, "the writer restarted"


def wchan(pid):
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read()
    except OSError:
        return ""


def t_killed_writer(st):
    """The writer has taken the row and waits for the database lock (held
    here by another connection) when it is killed: the row is gone with
    it, and the worker answers 503 as soon as the parent has seen the
    death, not after its own timeout (busy_timeout_ms + 5 s = 8 s)."""
    tok = st.token()
    before = st.count()
    writer = st.writer()
    db = sqlite3.connect(st.db, isolation_level=None, timeout=5)
    db.execute("BEGIN IMMEDIATE")
    try:
        ts, out = send_all(st, [{"token": tok,
                                 "description": "writer killed"}])
        wait_for(lambda: "nanosleep" in wchan(writer),
                 what="the writer waiting for the lock")
        t0 = time.monotonic()
        os.kill(writer, signal.SIGKILL)
        ts[0].join(30)
        waited = time.monotonic() - t0
    finally:
        db.execute("ROLLBACK")
        db.close()
    r = out[0]
    assert not isinstance(r, Exception) and r.status == 503, \
        getattr(r, "status", r)
    assert r.header("Retry-After") == "60"
    assert waited < 2, "503 only after %.1f s" % waited
    assert st.count() == before
    wait_for(lambda: st.writer() not in (None, writer), what="a new writer")
    ref = ref_of(st, st.post({"token": tok, "description": "writer killed"}))
    assert ref and ref_of(st, st.post({"token": tok, "description":
                                       "again"})) == ref
    assert st.count() == before + 1
    print("# killed writer: 503 after %.0f ms" % (waited * 1000), flush=True)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] \
        if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build, extra_config="token_min_age = 0\nbusy_timeout_ms = "
               "3000\n", workers=WORKERS)
    try:
        run.run("one_batch_one_report_per_token",
                t_one_batch_one_report_per_token, st)
        run.run("killed_writer_workers_answer_503_at_once_then_resume",
                t_killed_writer, st)
        run.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
