"""Integration tests of the review tool `tipline` against reports that
came in through a real nginx and tipline-fcgi: every command with its
filters and --json, wrong passphrase, a key that is not a recipient,
tampering, terminal escapes, CSV, purge, review through a pty, passwd.

usage: /usr/bin/python3 tests/integration/test_cli.py --build build"""

import csv
import io
import json
import os
import pty
import select
import sqlite3
import stat
import subprocess
import sys
import time

import nacl.bindings as nb
import nacl.hash
import nacl.encoding

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, PASSPHRASE  # noqa: E402
from test_intake import ref_of, submit  # noqa: E402

TODAY = time.strftime("%Y-%m-%d", time.gmtime())


def add_reports(st, reports):
    """Submits each report and returns the references."""
    toks = st.tokens(len(reports))
    return [ref_of(st, submit(st, t, r)) for t, r in zip(toks, reports)]


def jlines(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# Reports used throughout; refs are filled in by main().
REPORTS = [
    {"description": "Girls in a bar, Langstrasse", "type": "sexual", "canton": "ZH"},
    {"description": "Workers, \"no pay\", passports taken,\nsleeping on site",
     "type": "labour", "canton": "VS", "municipality": "Sion, Valais"},
    {"description": "Бегство через границу; 越境 — smugglers' van", "type": "smuggling",
     "canton": "TI"},
    {"description": "Begging ring at the station", "type": "begging", "canton": "GE"},
]


def t_list_filters(st, refs):
    out = st.cli_ok("list")
    lines = out.splitlines()
    assert [l.split("\t")[0] for l in lines] == list(reversed(refs)), lines
    assert all(len(l.split("\t")) == 7 for l in lines)  # with the flags (issue 15)
    assert st.cli_ok("list", "--type", "labour").split("\t")[0] == refs[1]
    assert st.cli_ok("list", "--canton", "TI").split("\t")[0] == refs[2]
    assert st.cli_ok("list", "--search", "STATION").split("\t")[0] == refs[3]
    assert st.cli_ok("list", "--search", "границ").split("\t")[0] == refs[2]
    assert st.cli_ok("list", "--search", "nowhere-at-all") == ""
    assert len(st.cli_ok("list", "--status", "new").splitlines()) == len(refs)
    assert st.cli_ok("list", "--since", "2099-01-01") == ""
    assert len(st.cli_ok("list", "--until", TODAY, "--since", TODAY).splitlines()) == len(refs)
    js = jlines(st.cli_ok("list", "--json", "--type", "smuggling"))
    assert len(js) == 1 and js[0]["ref"] == refs[2]
    assert js[0]["record"]["fields"]["description"] == REPORTS[2]["description"]
    for bad in (["--status", "bogus"], ["--since", "2026-02-30"], ["--type", "x"],
                ["--canton", "XX"], ["--search", ""], ["--frobnicate"], ["extra"]):
        rc, _, err = st.cli("list", *bad)
        assert rc == 2 and "usage: tipline list" in err, (bad, rc, err)


def t_show(st, refs):
    out = st.cli_ok("show", refs[1])
    assert "Reference: " + refs[1] in out
    assert "Labour exploitation" in out and "Canton: Valais" in out
    assert "  Workers, \"no pay\", passports taken,\n  sleeping on site" in out
    assert "History:\n  %s  received" % TODAY in out
    js = jlines(st.cli_ok("show", "--json", refs[1]))[0]
    assert js["record"]["fields"] == REPORTS[1] and js["history"] == []


def t_status_and_history(st, refs):
    note = "Called the cantonal police; they know the site."
    assert st.cli_ok("status", refs[0], "in-review", "--note", note).strip() == \
        refs[0] + ": in-review"
    st.cli_ok("status", refs[0], "forwarded", "--to", "cantonal police ZH")
    js = jlines(st.cli_ok("show", "--json", refs[0]))[0]
    assert js["status"] == "forwarded"
    assert js["history"] == [
        {"day": TODAY, "status": "in-review", "note": note},
        {"day": TODAY, "status": "forwarded", "to": "cantonal police ZH"}], js["history"]
    out = st.cli_ok("show", refs[0])
    assert "forwarded to cantonal police ZH" in out and note in out
    assert st.cli_ok("list", "--status", "forwarded").split("\t")[0] == refs[0]
    # notes are sealed: their text is nowhere in the database files
    st.query("PRAGMA wal_checkpoint")
    for name in (st.db, st.db + "-wal"):
        if os.path.exists(name):
            with open(name, "rb") as f:
                data = f.read()
            assert b"cantonal police" not in data and b"Called the" not in data
    for args, code in ((["status", refs[0], "forwarded"], 2),
                       (["status", refs[0], "closed", "--to", "x"], 2),
                       (["status", refs[0], "bogus"], 2),
                       (["status", refs[0], "closed", "--note", "bad\x1b[31m"], 2),
                       (["status", "TL-0000-0000", "closed"], 1),
                       (["status", refs[0]], 2)):
        rc, _, err = st.cli(*args)
        assert rc == code, (args, rc, err)
    assert jlines(st.cli_ok("show", "--json", refs[0]))[0]["status"] == "forwarded"


def t_wrong_passphrase(st, refs):
    bad = os.path.join(st.dir, "wrongpass")
    with open(bad, "w") as f:
        f.write("not it\n")
    for cmd in (["list"], ["show", refs[0]], ["export"], ["stats"], ["verify"]):
        rc, out, err = st.cli(*cmd, env={"TIPLINE_PASSPHRASE_FILE": bad})
        assert rc == 1 and "wrong passphrase" in err and out.strip() in ("", "ref,day"), \
            (cmd, rc, out, err)


def seal_like_the_server(pk, ref, plaintext):
    """Envelope v1 per docs/FORMATS.md, made with PyNaCl: a second,
    independent writer, used to plant hostile records."""
    kid = nacl.hash.blake2b(pk, digest_size=8, encoder=nacl.encoding.RawEncoder)
    ck = os.urandom(32)
    bucket = 1024
    while bucket <= len(plaintext):
        bucket *= 2
    padded = plaintext + b"\x80" + b"\0" * (bucket - len(plaintext) - 1)
    nonce = os.urandom(24)
    ad = b"TLEV\x01" + ref.encode()
    ct = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, nonce, ck)
    return b"TLEV\x01\x01" + kid + nb.crypto_box_seal(ck, pk) + nonce + ct


def our_public_key(st):
    import base64
    with open(st.pub) as f:
        line = [l for l in f if l.startswith("TLPK1")][0]
    return base64.b64decode(line.split()[2])


def plant(st, ref, record):
    env = seal_like_the_server(our_public_key(st), ref, json.dumps(record).encode())
    db = sqlite3.connect(st.db)
    db.execute("INSERT INTO reports (ref, day, envelope) VALUES (?, ?, ?)", (ref, TODAY, env))
    db.commit()
    db.close()


def t_terminal_escapes(st):
    ref = "TL-ESC0-0001"
    hostile = "red \x1b[31mALERT\x1b[0m \x1b]0;owned\x07 bell\x07 \u202egnp.exe \x9b2J end"
    plant(st, ref, {"v": 1, "form": 1, "lang": "en",
                    "fields": {"description": hostile, "municipality": "a\x1bb"}})
    rc = subprocess.run([os.path.join(st.build, "tipline"), "show", ref],
                        env=dict(os.environ, TIPLINE_DB=st.db, TIPLINE_KEY=st.key,
                                 TIPLINE_PASSPHRASE_FILE=st.passfile),
                        capture_output=True, timeout=60)
    assert rc.returncode == 0, rc.stderr
    out = rc.stdout
    for raw in (b"\x1b", b"\x07", b"\xe2\x80\xae", b"\xc2\x9b"):
        assert raw not in out, (raw, out)
    assert b"\\x1b[31mALERT" in out and b"\\u202e" in out and b"\\u009b" in out
    listed = subprocess.run([os.path.join(st.build, "tipline"), "list"],
                            env=dict(os.environ, TIPLINE_DB=st.db, TIPLINE_KEY=st.key,
                                     TIPLINE_PASSPHRASE_FILE=st.passfile),
                            capture_output=True, timeout=60).stdout
    assert b"\x1b" not in listed and b"\x07" not in listed
    # JSON output escapes them, so a script gets the exact text back
    js = jlines(st.cli_ok("show", "--json", ref))[0]
    assert js["record"]["fields"]["description"] == hostile
    st.cli_ok("purge", ref)


def t_tampered_envelope(st, refs):
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", refs[3])[0][0]
    bad = bytearray(env)
    bad[len(bad) // 2] ^= 0x20
    db = sqlite3.connect(st.db)
    db.execute("UPDATE reports SET envelope = ? WHERE ref = ?", (bytes(bad), refs[3]))
    db.commit()
    try:
        rc, out, err = st.cli("verify")
        assert rc == 1 and refs[3] in err and "did not open" in err, (rc, err)
        rc, out, err = st.cli("show", refs[3])
        assert rc == 1 and out == "" and refs[3] in err
        assert "Begging ring" not in out
        rc, out, err = st.cli("list")
        assert rc == 1 and refs[3] in err and refs[0] in out and refs[3] not in out
    finally:
        db.execute("UPDATE reports SET envelope = ? WHERE ref = ?", (env, refs[3]))
        db.commit()
        db.close()
    out = st.cli_ok("verify")
    assert out.startswith("ok:")


def t_key_not_a_recipient(st, refs):
    other = os.path.join(st.dir, "other")
    st.cli_ok("keygen", "-o", other)
    rc, out, err = st.cli("list", "--key", other + ".key")
    assert rc == 1 and "not sealed to this key" in err and out == ""
    # a report sealed to both keys: the other key lists it, and says
    # clearly which ones it cannot open
    with open(st.pub) as f:
        mine = f.read()
    with open(other + ".pub") as f:
        theirs = f.read()
    st.stop_fcgi()
    with open(st.pub, "w") as f:
        f.write(mine + theirs)
    st.start_fcgi()
    try:
        both = add_reports(st, [{"description": "sealed to two keys"}])[0]
        rc, out, err = st.cli("list", "--key", other + ".key")
        assert rc == 1 and out.split("\t")[0] == both, (out, err)
        assert refs[0] in err and "not sealed to this key" in err
        assert st.cli_ok("show", both).count("sealed to two keys") == 1
        st.cli_ok("status", both, "spam", "--note", "both can read this")
        js = jlines(subprocess.run(
            [os.path.join(st.build, "tipline"), "show", "--json", both, "--key",
             other + ".key"], env=dict(os.environ, TIPLINE_DB=st.db,
                                       TIPLINE_PASSPHRASE_FILE=st.passfile),
            capture_output=True, timeout=60).stdout.decode())[0]
        assert js["history"][0]["note"] == "both can read this"
        st.cli_ok("purge", both)
    finally:
        st.stop_fcgi()
        with open(st.pub, "w") as f:
            f.write(mine)
        st.start_fcgi()


def t_export_csv(st, refs):
    out = st.cli_ok("export")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    header = rows[0]
    assert header[:4] == ["ref", "day", "status", "lang"] and "description" in header
    byref = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert set(byref) == set(refs)
    for ref, rep in zip(refs, REPORTS):
        for k, v in rep.items():
            assert byref[ref][k] == v, (k, byref[ref][k], v)
        lang = jlines(st.cli_ok("show", "--json", ref))[0]["record"]["lang"]
        assert byref[ref]["lang"] == lang and lang in ("de", "fr", "it", "en")
    assert "\r\n" in out
    # filters apply; JSON lines too
    one = list(csv.reader(io.StringIO(st.cli_ok("export", "--type", "smuggling"), newline="")))
    assert len(one) == 2 and one[1][0] == refs[2]
    js = jlines(st.cli_ok("export", "--format", "json"))
    assert {j["ref"] for j in js} == set(refs)
    rc, _, err = st.cli("export", "--format", "xml")
    assert rc == 2


def t_export_file(st, refs):
    path = os.path.join(st.dir, "out.csv")
    st.cli_ok("export", "-o", path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, newline="") as f:
        first = f.read()
    assert refs[0] in first
    rc, _, err = st.cli("export", "-o", path, "--type", "labour")
    assert rc == 1 and "exists" in err
    with open(path, newline="") as f:
        assert f.read() == first
    st.cli_ok("export", "-o", path, "--type", "labour", "--force")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 2 and rows[1][0] == refs[1]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # a failure leaves no file behind
    bad = os.path.join(st.dir, "never.csv")
    rc, _, _ = st.cli("export", "-o", bad, env={"TIPLINE_PASSPHRASE_FILE": "/nonexistent"})
    assert rc == 1 and not os.path.exists(bad)
    assert not [n for n in os.listdir(st.dir) if n.startswith(".tipline-export-")]


def t_stats(st, refs):
    js = json.loads(st.cli_ok("stats", "--json"))
    assert js["total"] == len(refs)
    assert js["type"] == {"sexual": 1, "labour": 1, "smuggling": 1, "begging": 1}
    assert sum(js["status"].values()) == len(refs)
    assert js["month"] == {TODAY[:7]: len(refs)}
    assert list(js["week"].values()) == [len(refs)]
    text = st.cli_ok("stats")
    assert "By canton:" in text and "ZH" in text


def t_review_through_a_pty(st):
    three = add_reports(st, [{"description": "review one"}, {"description": "review two"},
                             {"description": "review three"}])
    # everything else out of the 'new' queue first
    for ref in [r[0] for r in st.query("SELECT ref FROM reports WHERE status = 'new'")]:
        if ref not in three:
            st.cli_ok("status", ref, "in-review")
    env = dict(os.environ, TIPLINE_DB=st.db, TIPLINE_KEY=st.key,
               TIPLINE_PASSPHRASE_FILE=st.passfile)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(os.path.join(st.build, "tipline"), ["tipline", "review"], env)
    out = b""
    pos = 0

    def until(marker, timeout=60):
        """Waits for marker after the previous match."""
        nonlocal out, pos
        end = time.monotonic() + timeout
        while out.find(marker, pos) < 0:
            assert time.monotonic() < end, out[-500:]
            r, _, _ = select.select([fd], [], [], 1)
            if r:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        i = out.find(marker, pos)
        assert i >= 0, (marker, out[-500:])
        pos = i + len(marker)
    try:
        until(b"3 new reports")
        until(b"review one")
        until(b"[q]uit: ")
        os.write(fd, b"r")
        until(b"review two")
        until(b"[q]uit: ")
        os.write(fd, b"x")          # not a choice: asked again
        until(b"[q]uit: ")
        os.write(fd, b"f")
        until(b"Forwarded to: ")
        os.write(fd, b"cantonal police ZH\r")
        until(b"review three")
        until(b"[q]uit: ")
        os.write(fd, b"s")
        until(b"decided.")
    finally:
        for _ in range(100):    # never wait forever for a stuck child
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WEXITSTATUS(status) == 0, out[-500:]
    got = dict(st.query("SELECT ref, status FROM reports WHERE ref IN (?, ?, ?)", *three))
    assert got == {three[0]: "in-review", three[1]: "forwarded", three[2]: "spam"}, got
    js = jlines(st.cli_ok("show", "--json", three[1]))[0]
    assert js["history"][-1]["to"] == "cantonal police ZH"
    assert b"Reviewed 3 of 3; 3 decided." in out


def t_purge(st, refs):
    rc, _, err = st.cli("purge")
    assert rc == 2 and "explicit criteria" in err
    rc, _, err = st.cli("purge", "--status", "closed")
    assert rc == 2
    rc, _, err = st.cli("purge", refs[0], "--status", "closed")
    assert rc == 2
    st.cli_ok("status", refs[2], "closed")
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", refs[2])[0][0]
    before = st.count()
    out = st.cli_ok("purge", "--status", "closed", "--older-than", "0d", "--dry-run")
    assert out == ""         # nothing is older than today
    out = st.cli_ok("purge", "--status", "closed", "--older-than", "0d")
    assert st.count() == before
    db = sqlite3.connect(st.db)
    db.execute("UPDATE reports SET day = '2025-01-01' WHERE ref = ?", (refs[2],))
    db.commit()
    db.close()
    out = st.cli_ok("purge", "--status", "closed", "--older-than", "180d", "--dry-run")
    assert out.startswith("would purge " + refs[2]) and st.count() == before
    out = st.cli_ok("purge", "--status", "closed", "--older-than", "180d")
    assert refs[2] in out and st.count() == before - 1
    assert st.query("SELECT count(*) FROM status_history WHERE report_id NOT IN "
                    "(SELECT id FROM reports)")[0][0] == 0
    for name in (st.db, st.db + "-wal"):
        if os.path.exists(name):
            with open(name, "rb") as f:
                assert env[100:164] not in f.read(), name
    rc, _, err = st.cli("purge", "TL-0000-0000")
    assert rc == 1 and st.count() == before - 1
    assert st.query("PRAGMA integrity_check")[0][0] == "ok"


def t_passwd_and_pubkey(st):
    with open(st.pub) as f:
        publine = [l.strip() for l in f if l.startswith("TLPK1")][0]
    assert st.cli_ok("pubkey").strip() == publine
    newpass = os.path.join(st.dir, "newpass")
    with open(newpass, "w") as f:
        f.write("a new and longer passphrase\n")
    st.cli_ok("passwd", "--new-passphrase-file", newpass)
    assert stat.S_IMODE(os.stat(st.key).st_mode) == 0o600
    rc, _, err = st.cli("list")
    assert rc == 1 and "wrong passphrase" in err
    rc, out, err = st.cli("pubkey", env={"TIPLINE_PASSPHRASE_FILE": newpass})
    assert rc == 0 and out.strip() == publine
    rc, out, err = st.cli("passwd", "--new-passphrase-file", st.passfile,
                          env={"TIPLINE_PASSPHRASE_FILE": newpass})
    assert rc == 0, err
    st.cli_ok("list")
    assert not [n for n in os.listdir(st.dir) if ".new-" in n]


def t_help(st):
    for cmd in ("keygen", "pubkey", "passwd", "list", "show", "status", "review",
                "export", "purge", "stats", "verify"):
        rc, out, _ = st.cli("help", cmd)
        assert rc == 0 and out.startswith("usage: tipline " + cmd), cmd
        rc, out2, _ = st.cli(cmd, "--help")
        assert rc == 0 and out2 == out, cmd
    rc, _, _ = st.cli()
    assert rc == 2


def t_no_sanitizer_reports(st):
    st.assert_no_sanitizer_reports()


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        refs = add_reports(st, REPORTS)
        run.run("list_filters_order_and_json", t_list_filters, st, refs)
        run.run("show_labels_every_field_and_history", t_show, st, refs)
        run.run("status_changes_with_sealed_notes_and_history", t_status_and_history, st, refs)
        run.run("wrong_passphrase_fails_every_command", t_wrong_passphrase, st, refs)
        run.run("terminal_escapes_never_reach_the_terminal", t_terminal_escapes, st)
        run.run("tampered_envelope_reported_by_verify_refused_by_show",
                t_tampered_envelope, st, refs)
        run.run("key_not_a_recipient_is_named_and_others_listed",
                t_key_not_a_recipient, st, refs)
        run.run("export_csv_reads_back_exactly", t_export_csv, st, refs)
        run.run("export_file_0600_no_overwrite_no_half_file", t_export_file, st, refs)
        run.run("stats_counts", t_stats, st, refs)
        run.run("review_through_a_pty_triages_three", t_review_through_a_pty, st)
        run.run("purge_by_criteria_overwrites_and_compacts", t_purge, st, refs)
        run.run("passwd_changes_passphrase_atomically_pubkey_prints",
                t_passwd_and_pubkey, st)
        run.run("help_for_every_command", t_help, st)
        run.run("no_sanitizer_reports_in_logs", t_no_sanitizer_reports, st)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
