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
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
