"""The database files on disk (issue 11, items 9 and 2).

Times: after a report and after a status change, the access and
modification times of the database, its WAL and its shared-memory file
are midnight UTC of the day: a seizer learns the day, not the second.

Tokens: a purged report's token cannot make a second report.

usage: /usr/bin/python3 tests/integration/test_dbfiles.py --build build"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402

EN = {"Accept-Language": "en"}
REF = re.compile(r"^/received\?ref=(TL-[0-9A-Z]{4}-[0-9A-Z]{4})")


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
    assert r.status == 303, (r.status, r.text[:300])
    assert_times_are_the_day(st)
    return REF.match(r.header("Location")).group(1)


def t_times_after_status(st, ref):
    st.cli_ok("status", ref, "in-review")
    assert_times_are_the_day(st)


def t_purged_reports_token_is_refused(st, tok):
    r = st.post({"description": "purge me", "token": tok}, EN)
    assert r.status == 303, (r.status, r.text[:300])
    ref = REF.match(r.header("Location")).group(1)
    st.cli_ok("purge", ref)
    before = st.count()
    r = st.post({"description": "replayed", "token": tok}, EN)
    assert r.status == 400, (r.status, r.text[:300])
    assert "replayed" in r.text
    assert st.count() == before


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
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
