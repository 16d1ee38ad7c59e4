"""Triage (issue 15): urgency flags and their filters on crafted
records, list's header and count on a terminal, review through a pty
(urgent first, the counter, back, a note, a route, quit; planted
terminal escapes and a terminal's reply never become a decision), input
as people type it, the case-management export read back by Python's csv
module, show's language and form, and the one status and flag tables
checked against the man page.

usage: /usr/bin/python3 tests/integration/test_triage.py --build build"""

import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP  # noqa: E402
from test_cli import jlines, TODAY  # noqa: E402
from test_cli_hardening import plant, unplant, run, env_of, record  # noqa: E402

DAY = 86400
OLD = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * DAY))
RECENT = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * DAY))

# ref: (fields, day, expected letters)
CRAFTED = {
    "TL-F1AG-0001": ({"description": "plain"}, TODAY, "-"),
    "TL-F1AG-0002": ({"description": "children begging", "minors": "yes"}, TODAY, "M"),
    "TL-F1AG-0003": ({"description": "still now", "ongoing": "yes"}, TODAY, "O"),
    "TL-F1AG-0004": ({"description": "it is me", "source": "affected"}, TODAY, "A"),
    "TL-F1AG-0005": ({"description": "call me", "contact_ok": "yes",
                      "contact": "+41 79 000 00 00"}, TODAY, "C"),
    "TL-F1AG-0006": ({"description": "call me, no number", "contact_ok": "yes"},
                     TODAY, "CN"),
    "TL-F1AG-0007": ({"description": "do not call", "contact_ok": "no",
                      "contact": "me@example.org"}, TODAY, "R"),
    "TL-F1AG-0008": ({"description": "waiting a month"}, OLD, "L"),
    "TL-F1AG-0009": ({"description": "everything", "minors": "yes", "ongoing": "yes",
                      "source": "affected", "contact_ok": "yes"}, OLD, "MOACNL"),
    "TL-F1AG-000A": ({"description": "two days old", "minors": "unknown",
                      "ongoing": "no", "source": "saw"}, RECENT, "-"),
}
NAMES = {"M": "minors", "O": "ongoing", "A": "affected", "C": "contact",
         "N": "contact-missing", "R": "contact-refused", "L": "overdue"}


def tsv(out):
    return {l.split("\t")[0]: l.split("\t") for l in out.splitlines() if l}


def refs_of(out):
    return set(tsv(out))


def plant_crafted(st):
    for ref, (fields, day, _) in CRAFTED.items():
        plant(st, ref, record(**fields), day=day)


def t_flags_column_json_and_filters(st):
    rc, out, err = run(st, "list")
    assert rc == 0, err
    rows = tsv(out.decode())
    for ref, (_, _, letters) in CRAFTED.items():
        assert rows[ref][3] == letters, (ref, rows[ref])
    js = {j["ref"]: j for j in jlines(run(st, "list", "--json")[1].decode())}
    for ref, (_, _, letters) in CRAFTED.items():
        want = [] if letters == "-" else [NAMES[c] for c in letters]
        assert js[ref]["flags"] == want, (ref, js[ref]["flags"])
    has = lambda c: {r for r, v in CRAFTED.items() if c in v[2]}  # noqa: E731
    for c, name in NAMES.items():
        got = refs_of(run(st, "list", "--flag", name)[1].decode())
        assert got == has(c), (name, got)
        got = refs_of(run(st, "list", "--not-flag", name)[1].decode())
        assert not (got & has(c)) and (set(CRAFTED) - has(c)) <= got, (name, got)
    got = refs_of(run(st, "list", "--flag", "minors", "--flag", "ongoing")[1].decode())
    assert got == {"TL-F1AG-0009"}, got
    got = refs_of(run(st, "list", "--urgent")[1].decode())
    assert got == has("M") | has("O") | has("A"), got
    got = refs_of(run(st, "list", "--urgent", "--not-flag", "overdue")[1].decode())
    assert got == {"TL-F1AG-0002", "TL-F1AG-0003", "TL-F1AG-0004"}, got
    # overdue is configurable: one day makes the two-day-old report late
    got = refs_of(run(st, "list", "--flag", "overdue", "--overdue-days", "1")[1].decode())
    assert "TL-F1AG-000A" in got, got
    got = refs_of(run(st, "list", "--flag", "overdue", TIPLINE_OVERDUE_DAYS="1")[1].decode())
    assert "TL-F1AG-000A" in got, got
    got = refs_of(run(st, "list", "--flag", "overdue", "--overdue-days", "60")[1].decode())
    assert not (got & set(CRAFTED)), got
    # decided is not overdue
    run(st, "status", "TL-F1AG-0008", "in-review")
    got = refs_of(run(st, "list", "--flag", "overdue")[1].decode())
    assert "TL-F1AG-0008" not in got and "TL-F1AG-0009" in got, got
    run(st, "status", "TL-F1AG-0008", "new")
    # stats and export take the same filters
    js = json.loads(run(st, "stats", "--json", "--flag", "minors")[1])
    assert js["total"] == 2, js
    for bad in (["--flag", "nope"], ["--not-flag", "x"], ["--flag"],
                ["--flag", "minors", "--not-flag", "minors"],
                ["--overdue-days", "0"], ["--overdue-days", "7d"]):
        rc, _, err = run(st, "list", *bad)
        assert rc == 2 and "usage: tipline list" in err, (bad, rc, err)
    rc, _, err = run(st, "list", TIPLINE_OVERDUE_DAYS="soon")
    assert rc == 2 and "TIPLINE_OVERDUE_DAYS" in err, err
    rc, _, err = run(st, "pubkey", TIPLINE_OVERDUE_DAYS="soon")  # not a reading command
    assert rc == 0, err
    for bad in (["--urgent"], ["--flag", "minors"]):
        rc, _, err = run(st, "verify", *bad)
        assert rc == 2 and "filters" in err, (bad, err)


def pty_run(st, args, env=None, cols=100):
    """Runs tipline on a pty to its end; returns (status, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(os.path.join(st.build, "tipline"), ["tipline"] + args,
                  env or env_of(st))
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    out, end, status = b"", time.monotonic() + 60, None
    try:
        while time.monotonic() < end:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                out += chunk
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
    return status, out


def t_list_header_and_count_on_a_tty_only(st):
    status, out = pty_run(st, ["list"])
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, out[-500:]
    lines = out.decode().replace("\r", "").splitlines()
    head = [l for l in lines if l.startswith("REFERENCE")]
    assert head and "FLAGS" in head[0] and "DESCRIPTION" in head[0], lines[:3]
    n = len([l for l in lines if l.startswith("TL-")])
    urgent = len([r for r, v in CRAFTED.items() if set(v[2]) & set("MOA")])
    assert "%d reports, %d urgent" % (n, urgent) in lines[-1], lines[-1]
    assert n >= len(CRAFTED)
    # a pipe: rows only, tab-separated, no header and no count
    out = run(st, "list")[1].decode()
    assert all(l.startswith("TL-") and l.count("\t") == 6 for l in out.splitlines())


def t_input_as_people_type_it(st):
    ref = "TL-F1AG-0002"
    for typed in ("tl-f1ag-0002", "f1ag0002", "TL-FIAG-OOO2", "tlflag-ooo2", "F1AG 0002"):
        rc, out, err = run(st, "show", "--json", typed)
        assert rc == 0, (typed, err)
        assert jlines(out.decode())[0]["ref"] == ref, typed
    # a reference that does not exist is said before any passphrase
    nopass = os.path.join(st.dir, "no-such-passphrase-file")
    for args in (["show", "tl-zzzz-zzzz"], ["status", "zzzzzzzz", "closed"]):
        rc, out, err = run(st, *args, TIPLINE_PASSPHRASE_FILE=nopass)
        assert rc == 1 and "no report TL-ZZZZ-ZZZZ" in err, (args, err)
        assert "passphrase" not in err, err
    for bad in ("TL-7KQU-M9XD", "TL-12", "not a ref"):
        rc, _, err = run(st, "show", bad)
        assert rc == 2 and "not a reference" in err, (bad, err)
    # canton and type in any case; days as written in Switzerland
    plant(st, "TL-CANT-0001", record(description="zurich", canton="ZH", type="labour"))
    try:
        for args in (["--canton", "zh"], ["--canton", "Zh"], ["--type", "LABOUR"]):
            assert "TL-CANT-0001" in refs_of(run(st, "list", *args)[1].decode()), args
        d, m, y = TODAY[8:], TODAY[5:7], TODAY[:4]
        for since in (TODAY, "%s.%s.%s" % (d, m, y), "today", "0d"):
            got = refs_of(run(st, "list", "--since", since)[1].decode())
            assert "TL-CANT-0001" in got and "TL-F1AG-0008" not in got, since
        got = refs_of(run(st, "list", "--since", "40d", "--until", "7d")[1].decode())
        assert got & set(CRAFTED) == {"TL-F1AG-0008", "TL-F1AG-0009"}, got
        for bad in ("31.11.2026", "2026-02-30", "tomorrow", "-3d"):
            rc, _, err = run(st, "list", "--since", bad)
            assert rc == 2 and "--since" in err, (bad, err)
    finally:
        unplant(st, "TL-CANT-0001")


def t_show_language_form_flags_and_ascii_json(st):
    rec = {"v": 1, "form": 1, "lang": "fr",
           "fields": {"description": "\u00c7a dure encore, zwei Kinder \U0001F467",
                      "minors": "yes"}}
    plant(st, "TL-FR00-0001", rec)
    try:
        rc, out, err = run(st, "show", "TL-FR00-0001")
        assert rc == 0, err
        text = out.decode()
        assert "Language:  fr\n" in text and "Form:      version 1\n" in text, text
        assert "Flags:     minors\n" in text, text
        for args in (["show", "--json", "TL-FR00-0001"], ["list", "--json"]):
            out = run(st, *args)[1]
            assert all(0x20 <= b < 0x7f or b == 0x0a for b in out), args
            assert b"\\u00c7a dure" in out.lower() and b"\\ud83d\\udc67" in out.lower(), args
    finally:
        unplant(st, "TL-FR00-0001")


class Pty:
    """A review session on a pty: waits for markers in order, types."""

    def __init__(self, st, args, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(os.path.join(st.build, "tipline"), ["tipline"] + args,
                      env or env_of(st))
        self.out, self.pos = b"", 0

    def read_some(self, timeout):
        if select.select([self.fd], [], [], timeout)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            self.out += chunk
            return bool(chunk)
        return False

    def until(self, marker, timeout=60):
        end = time.monotonic() + timeout
        while self.out.find(marker, self.pos) < 0:
            assert time.monotonic() < end, (marker, self.out[-800:])
            if not self.read_some(1) and self.exited():
                break
        i = self.out.find(marker, self.pos)
        assert i >= 0, (marker, self.out[-800:])
        self.pos = i + len(marker)
        return self.out[:i]

    def exited(self):
        done, self.status = os.waitpid(self.pid, os.WNOHANG)
        return done != 0

    def type(self, b):
        os.write(self.fd, b)

    def close(self):
        for _ in range(100):
            if self.exited():
                break
            self.read_some(0.1)
        else:
            os.kill(self.pid, 9)
            _, self.status = os.waitpid(self.pid, 0)
        while self.read_some(0.5):
            pass
        os.close(self.fd)
        return self.status


PROMPT = b"[q]uit: "
REVIEW = [  # in the order they arrive: ref, fields
    ("TL-REV1-000A", {"description": "first in, not urgent \x1b[c\x1b]0;x\x07"}),
    ("TL-REV1-000B", {"description": "second in, a child forced to beg", "minors": "yes"}),
    ("TL-REV1-000C", {"description": "third in, not urgent"}),
    ("TL-REV1-000D", {"description": "fourth in, still going on", "ongoing": "yes"}),
]


def t_review_urgent_first_counter_back_note_route_quit(st):
    # only these are new
    for (ref,) in st.query("SELECT ref FROM reports WHERE status = 'new'"):
        st.cli_ok("status", ref, "closed")
    for ref, fields in REVIEW:
        plant(st, ref, record(**fields))
    p = Pty(st, ["review"])
    try:
        p.until(b"4 new reports, 2 urgent.")
        p.until("1 of 4 · 2 urgent".encode())
        p.until(b"a child forced to beg")
        p.until(PROMPT)
        p.type(b"n")
        p.until("2 of 4 · 2 urgent".encode())
        p.until(b"still going on")
        p.until(PROMPT)
        p.type(b"b")                                # back
        p.until(b"1 of 4")
        p.until(b"a child forced to beg")
        p.until(PROMPT)
        p.type(b"w")                                # a note, from a prompt
        p.until(b"Note (one line; empty to cancel): ")
        p.type(b"Called the child protection hotline\r")
        p.until(b"note written")
        p.until(PROMPT)
        p.type(b"r")
        p.until(b"2 of 4")
        p.until(b"still going on")
        p.until(PROMPT)
        # A terminal's answer to ESC [ c, arriving in pieces: nothing
        # may be decided by its letters ('c' is closed).
        for b in (b"\x1b", b"[", b"?", b"6", b"c"):
            p.type(b)
            end = time.monotonic() + 0.5
            while time.monotonic() < end and p.out.find(PROMPT, p.pos) < 0:
                p.read_some(0.1)
        p.until(PROMPT)
        p.type(b"f")                                # route
        p.until(b"Forwarded to: ")
        p.type(b"cantonal police ZH\r")
        p.until(b"3 of 4")
        shown = p.until(PROMPT)
        p.type(b"q")
        p.until(b"decided.")
    finally:
        status = p.close()
    try:
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, p.out[-500:]
        assert b"first in, not urgent" in shown
        assert b"\x1b[c" not in p.out and b"\\x1b[c" in p.out
        assert b"Reviewed 3 of 4; 2 decided." in p.out, p.out[-300:]
        got = dict(st.query("SELECT ref, status FROM reports WHERE ref LIKE 'TL-REV1-%'"))
        assert got == {"TL-REV1-000A": "new", "TL-REV1-000B": "in-review",
                       "TL-REV1-000C": "new", "TL-REV1-000D": "forwarded"}, got
        h = jlines(st.cli_ok("show", "--json", "TL-REV1-000B"))[0]["history"]
        assert [x.get("note") for x in h] == ["Called the child protection hotline", None], h
        assert [x["status"] for x in h] == ["new", "in-review"], h
        h = jlines(st.cli_ok("show", "--json", "TL-REV1-000D"))[0]["history"]
        assert h[-1]["to"] == "cantonal police ZH", h
    finally:
        unplant(st, *[r for r, _ in REVIEW])


def t_review_note_from_editor(st):
    plant(st, "TL-REV2-0001", record(description="note me"))
    editor = os.path.join(st.dir, "editor.sh")
    seen = os.path.join(st.dir, "editor-saw")
    with open(editor, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s' \"$1\" > %s\n"
                "printf 'Written in the editor\\n' > \"$1\"\n" % seen)
    os.chmod(editor, 0o700)
    p = Pty(st, ["review"], env=env_of(st, EDITOR=editor))
    try:
        p.until(b"note me")
        p.until(PROMPT)
        p.type(b"w")
        p.until(b"note written")
        p.until(PROMPT)
        p.type(b"q")
        p.until(b"decided.")
    finally:
        p.close()
    try:
        with open(seen) as f:
            path = f.read()
        assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path)), path
        h = jlines(st.cli_ok("show", "--json", "TL-REV2-0001"))[0]["history"]
        assert h[-1]["note"] == "Written in the editor", h
    finally:
        unplant(st, "TL-REV2-0001")


EXPORT_COLUMNS = ["ref", "day", "status", "lang", "form", "flags", "status_day",
                  "decided_by", "routed_to", "routed_day", "notes"]


def read_csv(out):
    rows = list(csv.reader(io.StringIO(out.decode(), newline="")))
    return rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


def t_export_for_case_management(st):
    ref = "TL-EXP0-0001"
    plant(st, ref, record(description="=HYPERLINK(\"http://x\")", minors="yes"))
    try:
        st.cli_ok("status", ref, "in-review", "--note", "first look, \"quotes\"")
        st.cli_ok("status", ref, "forwarded", "--to", "@cantonal police ZH")
        rc, out, err = run(st, "export")
        assert rc == 0, err
        header, rows = read_csv(out)
        assert header[:len(EXPORT_COLUMNS)] == EXPORT_COLUMNS, header
        assert "description" in header and "contact" in header
        r = rows[ref]
        assert (r["status"], r["flags"], r["form"], r["lang"]) == ("forwarded", "M", "1", "en"), r
        assert r["status_day"] == TODAY and r["routed_day"] == TODAY, r
        assert r["routed_to"] == "'@cantonal police ZH", r      # neutralised
        assert r["description"] == "'=HYPERLINK(\"http://x\")", r
        assert r["notes"] == "" and r["decided_by"] == "", r
        # notes on request; --raw keeps formulas as written
        rc, out, err = run(st, "export", "--with-notes", "--raw")
        assert rc == 0, err
        r = read_csv(out)[1][ref]
        assert r["notes"] == "%s in-review: first look, \"quotes\"" % TODAY, r
        assert r["routed_to"] == "@cantonal police ZH", r
        assert r["description"] == "=HYPERLINK(\"http://x\")", r
        # reports without a history have empty case columns
        r = read_csv(run(st, "export")[1])[1]["TL-F1AG-0001"]
        assert all(r[k] == "" for k in EXPORT_COLUMNS[6:]), r
        # JSON lines carry the same
        js = [j for j in jlines(run(st, "export", "--format", "json")[1].decode())
              if j["ref"] == ref][0]
        assert js["routed_to"] == "@cantonal police ZH" and js["status_day"] == TODAY, js
        assert js["flags"] == ["minors"] and js["decided_by"] is None, js
        rc, _, err = run(st, "export", "--format", "json", "--with-notes")
        assert rc == 2, err
    finally:
        unplant(st, ref)


def t_status_and_flag_tables_match_the_man_page(st):
    with open(os.path.join(TOP, "man", "tipline.1")) as f:
        man = f.read()
    rc, out, _ = run(st, "help", "status")
    statuses = re.search(r"STATUS is (.*)\.", out.decode()).group(1)
    names = re.split(r", | or ", statuses)
    assert names == ["new", "in-review", "forwarded", "closed", "spam"], names
    # each list of statuses in the man page names exactly these, in order
    lists = re.findall(r"((?:\.Cm [a-z-]+ ?,?\n)+(?:or\n)?\.Cm [a-z-]+ \.\n)", man)
    status_lists = [re.findall(r"\.Cm ([a-z-]+)", l) for l in lists
                    if "in-review" in l]
    assert len(status_lists) >= 2, status_lists
    for l in status_lists:
        assert l == names, l
    # and the database's CHECK, which a migration cannot change
    with open(os.path.join(TOP, "db", "migrations", "001-initial.sql")) as f:
        check = re.search(r"CHECK \(status IN \(([^)]*)\)\)", f.read()).group(1)
    assert re.findall(r"'([a-z-]+)'", check) == names, check
    # the flags: letter, name and the urgent set, as `tipline help list`
    out = run(st, "help", "list")[1].decode()
    flags = re.findall(r"^  ([A-Z]) (\S+) +(.*?)( \*)?$", out, re.M)
    assert len(flags) >= 7, out
    sec = man[man.index(".Ss Flags"):]
    sec = sec[:sec.index(".Ss ", 4)]
    assert len(re.findall(r"^\.It Cm \S+ Pq [A-Z]$", sec, re.M)) == len(flags), sec
    for letter, name, _, urgent in flags:
        assert re.search(r"\.It Cm %s Pq %s\n" % (re.escape(name), letter), sec), name
    m = re.search(r"The urgent set.*?shows first:\n((?:\.Cm [a-z-]+[ ,.]*\n|and\n)+)", sec, re.S)
    want = [name for _, name, _, u in flags if u]
    assert m and re.findall(r"\.Cm ([a-z-]+)", m.group(1)) == want, (m and m.group(1), want)


def t_case_file_export_names_who_decided_review_note_is_an_event(st):
    from test_sync import setup
    unplant(st, *CRAFTED)       # sealed to the stack's key, not the team's
    a, _, refs = setup(st)
    a.sync()
    ref = refs[0]
    a.ok("status", ref, "in-review", "--note", "Anna looked")
    a.ok("status", ref, "forwarded", "--to", "KAPO ZH")
    rc, out, err = a.run("export", "--with-notes")
    assert rc == 0, err
    header, rows = read_csv(out.encode())
    assert header[:len(EXPORT_COLUMNS)] == EXPORT_COLUMNS, header
    r = rows[ref]
    assert (r["status"], r["decided_by"], r["routed_to"], r["routed_day"]) == \
        ("forwarded", "Anna Muster", "KAPO ZH", TODAY), r
    assert r["notes"] == "%s in-review by Anna Muster: Anna looked" % TODAY, r
    js = [j for j in jlines(a.ok("export", "--format", "json")) if j["ref"] == ref][0]
    assert js["decided_by"] == "Anna Muster", js
    # review's note on a case file is a signed note event; the status stays
    env = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile, **a.env())
    env.pop("TIPLINE_DB")
    p = Pty(st, ["review"], env=env)
    try:
        p.until(PROMPT)
        p.type(b"w")
        p.until(b"Note (one line; empty to cancel): ")
        p.type(b"a note in the case file\r")
        p.until(b"note written")
        p.until(PROMPT)
        p.type(b"q")
        p.until(b"decided.")
    finally:
        p.close()
    noted = [j for j in jlines(a.ok("list", "--json"))
             if any(h.get("note") == "a note in the case file" for h in j["history"])]
    assert len(noted) == 1 and noted[0]["status"] == "new", noted
    h = [x for x in noted[0]["history"] if x.get("note")][0]
    assert (h["event"], h["author"], h["signature"]) == ("note", "Anna Muster", "valid"), h


def t_no_sanitizer_reports(st):
    st.assert_no_sanitizer_reports()


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run_ = Runner()
    st = Stack(build)
    try:
        plant_crafted(st)
        run_.run("flags_column_json_and_filters_on_crafted_records",
                 t_flags_column_json_and_filters, st)
        run_.run("list_header_and_count_on_a_tty_only", t_list_header_and_count_on_a_tty_only, st)
        run_.run("input_refs_cantons_days_as_people_type_them", t_input_as_people_type_it, st)
        run_.run("show_language_form_flags_and_ascii_json",
                 t_show_language_form_flags_and_ascii_json, st)
        run_.run("export_status_routing_notes_read_back_by_csv",
                 t_export_for_case_management, st)
        run_.run("review_urgent_first_counter_back_note_route_quit_terminal_reply",
                 t_review_urgent_first_counter_back_note_route_quit, st)
        run_.run("review_note_from_editor_leaves_no_file", t_review_note_from_editor, st)
        run_.run("status_and_flag_tables_match_the_man_page",
                 t_status_and_flag_tables_match_the_man_page, st)
        # last: it makes the stack's recipients a team of two
        run_.run("case_file_export_names_who_decided_review_note_is_an_event",
                 t_case_file_export_names_who_decided_review_note_is_an_event, st)
        run_.run("no_sanitizer_reports_in_logs", t_no_sanitizer_reports, st)
    finally:
        st.stop()
        st.cleanup(keep=run_.failed > 0)
    return 1 if run_.failed else 0


if __name__ == "__main__":
    sys.exit(main())
