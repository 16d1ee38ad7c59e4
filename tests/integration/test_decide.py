"""tipline note and assign (issue 12): signed events on the case file,
shown with their author's name in `show` after a sync, on both
workstations; a note's text from --message, standard input or $EDITOR
(whose file is removed afterwards); an assignee by name or key id, one
not in the team file refused.

usage: /usr/bin/python3 tests/integration/test_decide.py --build build"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_sync import setup  # noqa: E402


def entries(x, ref, kind):
    return [e for e in x.history(ref) if e.get("event") == kind]


def t_note_three_ways_b_sees_them(st, a, b, refs):
    ref = refs[0]
    a.sync()
    b.sync()
    a.ok("note", ref, "--message", "Spoke to FIZ")
    e = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile)
    e.update(a.env())
    e.pop("TIPLINE_DB")
    p = subprocess.run([os.path.join(st.build, "tipline"), "note", ref, "-"],
                       input=b"From stdin\n", env=e, cwd=st.dir,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    editor = os.path.join(st.dir, "editor.sh")
    seen = os.path.join(st.dir, "editor-saw")
    with open(editor, "w") as f:
        f.write("#!/bin/sh\necho \"$1\" > %s\n"
                "printf 'From the editor\\n\\n' > \"$1\"\n" % seen)
    os.chmod(editor, 0o700)
    e["EDITOR"] = editor
    e.pop("VISUAL", None)
    p = subprocess.run([os.path.join(st.build, "tipline"), "note", ref],
                       env=e, cwd=st.dir, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    with open(seen) as f:
        path = f.read().strip()
    assert not os.path.exists(path) and \
        not os.path.exists(os.path.dirname(path)), path
    got = a.sync()
    assert got["sent"] == 3, got
    b.sync()
    for x in (a, b):
        n = [(h["author"], h["note"], h["signature"])
             for h in entries(x, ref, "note")]
        assert n == [("Anna Muster", "Spoke to FIZ", "valid"),
                     ("Anna Muster", "From stdin", "valid"),
                     ("Anna Muster", "From the editor", "valid")], n
    out = b.ok("show", ref)
    assert "note by Anna Muster: Spoke to FIZ" in out, out


def t_empty_or_bad_note_refused(st, a, b, refs):
    ref = refs[0]
    before = len(a.history(ref))
    rc, _, err = a.run("note", ref, "--message", "  ")
    assert rc == 1 and "empty" in err, err
    rc, _, err = a.run("note", ref, "--message", "bell\x07")
    assert rc == 2, err
    rc, _, err = a.run("note", "TL-0000-0000", "--message", "x")
    assert rc == 1 and "no report" in err, err
    rc, _, err = a.run("note", ref, "--message", "x" * 2001)
    assert rc == 2, err
    assert len(a.history(ref)) == before


def t_assign_by_name_and_key_id(st, a, b, refs):
    ref = refs[1]
    a.ok("assign", ref, "Bruno Beispiel")
    with open(a.pub) as f:
        anna_id = [l for l in f if l.startswith("TLID1 ")][0].split()[1]
    b.ok("assign", ref, anna_id)
    a.sync()
    b.sync()
    a.sync()
    for x in (a, b):
        got = sorted((h["author"], h["assignee_name"], h["signature"])
                     for h in entries(x, ref, "assign"))
        assert got == [("Anna Muster", "Bruno Beispiel", "valid"),
                       ("Bruno Beispiel", "Anna Muster", "valid")], got
    out = a.ok("show", ref)
    assert "assign by Anna Muster to Bruno Beispiel" in out, out
    assert "assign by Bruno Beispiel to Anna Muster" in out, out


def t_assign_outsider_refused(st, a, b, refs):
    rc, _, err = a.run("assign", refs[1], "Mallory")
    assert rc == 1 and "no analyst 'Mallory'" in err, err
    rc, _, err = a.run("assign", refs[1], "0123456789abcdef")
    assert rc == 1, err


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        a, b, refs = setup(st)
        run.run("note_message_stdin_editor_signed_b_sees_with_name",
                t_note_three_ways_b_sees_them, st, a, b, refs)
        run.run("empty_control_long_or_unknown_note_refused_nothing_written",
                t_empty_or_bad_note_refused, st, a, b, refs)
        run.run("assign_by_name_and_key_id_both_histories_with_names",
                t_assign_by_name_and_key_id, st, a, b, refs)
        run.run("assign_to_outsider_refused",
                t_assign_outsider_refused, st, a, b, refs)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
