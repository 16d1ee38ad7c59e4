"""The database files on disk (issue 11, items 9 and 2).

Times: after a report and after a status change, the access and
modification times of the database, its WAL and its shared-memory file
are midnight UTC of the day: a seizer learns the day, not the second.

Tokens: a purged report's token cannot make a second report.

Size: with max_db_size = 1M, /healthz says "warning" from 90 % and
"full" (503) from 99 %; a report past the cap gets 503 "not received"
in the reporter's language with what they typed, and nothing is stored;
once room is made (rows deleted), /healthz is "ok" and the same report
is received.

usage: /usr/bin/python3 tests/integration/test_dbfiles.py --build build"""

import os
import re
import secrets
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, receipt_of  # noqa: E402

EN = {"Accept-Language": "en"}


def midnights():
    """Midnight UTC of today (and of the day before, should the test
    run across midnight)."""
    now = int(time.time())
    return {now - now % 86400, now - now % 86400 - 86400}


def assert_times_are_the_day(st):
    days = midnights()
    for ext in ("", "-wal", "-shm"):
        s = os.stat(st.db + ext)
        assert s.st_mtime_ns % 10**9 == 0 and int(s.st_mtime) in days, \
            (ext, s.st_mtime, days)
        assert s.st_atime_ns % 10**9 == 0 and int(s.st_atime) in days, \
            (ext, s.st_atime, days)


def t_times_after_report(st, tok):
    r = st.post({"description": "times", "token": tok}, EN)
    assert receipt_of(r), (r.status, r.text[:300])
    # before the test reads the database itself (which sets its atime)
    assert_times_are_the_day(st)
    return st.received_ref(r)


def t_times_after_status(st, ref):
    st.cli_ok("status", ref, "in-review")
    assert_times_are_the_day(st)


def t_purged_reports_token_is_refused(st, tok):
    r = st.post({"description": "purge me", "token": tok}, EN)
    ref = st.received_ref(r)
    st.cli_ok("purge", ref)
    before = st.count()
    r = st.post({"description": "replayed", "token": tok}, EN)
    assert r.status == 400, (r.status, r.text[:300])
    assert "replayed" in r.text
    assert st.count() == before


CAP_PAGES = 256          # max_db_size = 1M, 4096-byte pages


def used_percent(db):
    pc = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return (pc - free) * 100 // CAP_PAGES


def fill(db, until, size, start):
    """Inserts filler rows of size bytes until used_percent >= until,
    or until the cap refuses one; returns the next row number."""
    i = start
    while used_percent(db) < until and i < start + 10000:
        try:
            db.execute("INSERT INTO reports (ref, day, envelope) VALUES "
                       "(?, '2026-01-01', ?)", ("TL-ZZZZ-%04d" % i,
                                                secrets.token_bytes(size)))
        except sqlite3.OperationalError as e:
            assert "full" in str(e), e
            break
        i += 1
    return i


def real_reports(st):
    return st.query("SELECT count(*) FROM reports WHERE ref NOT GLOB 'TL-ZZZZ-*'")[0][0]


def t_cap(st, tok):
    db = sqlite3.connect(st.db, timeout=5, isolation_level=None)
    db.execute("PRAGMA max_page_count = %d" % CAP_PAGES)
    try:
        r = st.request("GET", "/healthz")
        assert r.status == 200 and r.body == b"ok\n", (r.status, r.body)
        i = fill(db, 91, 3000, 0)
        pct = used_percent(db)
        assert 91 <= pct < 99, pct
        r = st.request("GET", "/healthz")
        assert r.status == 200, (r.status, r.body)
        assert r.body == b"warning: database at %d%% of max_db_size\n" % pct, r.body
        i = fill(db, 101, 3000, i)
        fill(db, 101, 50, i)
        r = st.request("GET", "/healthz")
        assert r.status == 503 and r.body.startswith(b"full: database at "), \
            (r.status, r.body)
        before = real_reports(st)
        fields = {"description": "Cap marker text", "token": tok, "lang": "fr"}
        r = st.post(fields, EN)
        assert r.status == 503, (r.status, r.text[:300])
        assert 'lang="fr"' in r.text
        assert "n\u2019a PAS \u00e9t\u00e9 re\u00e7u" in r.text, r.text[:2000]
        assert "Cap marker text" in r.text
        assert r.header("Retry-After") == "60"
        assert real_reports(st) == before
        db.execute("DELETE FROM reports WHERE ref GLOB 'TL-ZZZZ-*'")
        r = st.request("GET", "/healthz")
        assert r.status == 200 and r.body == b"ok\n", (r.status, r.body)
        r = st.post(fields, EN)
        st.received_ref(r)
        assert real_reports(st) == before + 1
    finally:
        db.close()


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        toks = st.tokens(2)
        ref = []
        run.run("db_wal_shm_times_are_midnight_utc_after_a_report",
                lambda: ref.append(t_times_after_report(st, toks[0])))
        if ref:
            run.run("db_wal_shm_times_are_midnight_utc_after_a_status_change",
                    t_times_after_status, st, ref[0])
        run.run("purged_reports_token_cannot_make_a_second_report",
                t_purged_reports_token_is_refused, st, toks[1])
        run.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    failed = run.failed
    st = Stack(build, extra_config="max_db_size = 1M\n")
    try:
        toks = st.tokens(1)
        run.run("healthz_warns_from_90_percent_full_from_99_and_cap_answers_503_in_french",
                t_cap, st, toks[0])
        run.run("no_sanitizer_reports_in_logs_capped", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > failed)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
