"""Attachments reach the workstation with tipline sync (issue 14, stage
5): the relay hands out each file's head (frame 11) and its chunks
(frame 12) after the file cursor; the case file holds them byte for
byte and they open (independent opener, docs/FORMATS.md 3b); a pull cut
in the middle of a large file resumes at the next chunk with nothing
missing or doubled; a purge removes the files everywhere.

usage: /usr/bin/python3 tests/integration/test_sync_files.py --build build"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_sync import setup  # noqa: E402
from test_upload import body, post, ref_of, EXIF_GPS_JPEG  # noqa: E402


def chunks(db, ref):
    c = sqlite3.connect(db, timeout=5)
    try:
        return c.execute(
            "SELECT a.idx, a.nchunks, c.n, c.data FROM attachment_chunks c "
            "JOIN attachments a ON a.id = c.attachment_id JOIN reports r ON "
            "r.id = a.report_id WHERE r.ref = ? ORDER BY a.idx, c.n", (ref,)).fetchall()
    finally:
        c.close()


def heads(db, ref):
    c = sqlite3.connect(db, timeout=5)
    try:
        return c.execute("SELECT a.idx, a.head FROM attachments a JOIN reports r "
                         "ON r.id = a.report_id WHERE r.ref = ? ORDER BY a.idx",
                         (ref,)).fetchall()
    finally:
        c.close()


def t_files_reach_the_case_file(st, a, tok):
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\ntrailer<<>>\n%%EOF\n"
    text = b"marker-sync-file\n" * 9000
    r = post(st, body(tok, "files to sync", [("van.jpg", EXIF_GPS_JPEG, "image/jpeg"),
                                             ("c.pdf", pdf, None), ("n.txt", text, None)]))
    ref = ref_of(st, r)
    got = a.sync()
    server = chunks(st.db, ref)
    assert len(server) == 1 + 1 + 4 and got["chunks"] == len(server), got  # 153 KB: 4
    assert chunks(a.case, ref) == server
    assert heads(a.case, ref) == heads(st.db, ref)
    assert a.sync()["chunks"] == 0
    # The analyst, from the case file: byte-identical files.
    d = os.path.join(st.dir, "anna-files")
    os.mkdir(d, 0o700)
    a.ok("files", ref, "--extract", d)
    for name, data in (("1-van.jpg", EXIF_GPS_JPEG), ("2-c.pdf", pdf), ("3-n.txt", text)):
        with open(os.path.join(d, name), "rb") as f:
            assert f.read() == data, name
    assert "Files:" in a.ok("show", ref)
    return ref


def t_cut_pull_resumes_mid_file(st, a, tok):
    big = b"%PDF-1.4\n" + os.urandom(5 * 1024 * 1024)     # 128 chunks
    ref = ref_of(st, post(st, body(tok, "a large file", [("big.pdf", big, None)])))
    total = len(chunks(st.db, ref))
    assert total == 128, total
    e = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile, **a.env())
    e.pop("TIPLINE_DB")
    p = subprocess.Popen([os.path.join(st.build, "tipline"), "sync", "--remote",
                          "local:" + st.conf, "--json"], cwd=st.dir, env=e,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    have = 0
    while time.monotonic() < deadline and p.poll() is None:
        try:
            have = len(chunks(a.case, ref))
        except sqlite3.OperationalError:
            have = 0
        if have >= 16:
            break
        time.sleep(0.005)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    have = len(chunks(a.case, ref))
    assert 0 < have < total, "cut at %d of %d: no cut in the middle" % (have, total)
    got = a.sync()
    assert got["chunks"] == total - have, (got, have)
    assert chunks(a.case, ref) == chunks(st.db, ref)
    return ref


def t_purge_removes_files_everywhere(st, a, refs):
    for ref in refs:
        a.ok("purge", ref)
    a.sync()
    for ref in refs:
        assert not chunks(st.db, ref) and not heads(st.db, ref)
        assert not chunks(a.case, ref) and not heads(a.case, ref)
    c = sqlite3.connect(a.case)
    try:
        assert c.execute("SELECT count(*) FROM attachment_chunks c LEFT JOIN "
                         "attachments f ON f.id = c.attachment_id "
                         "WHERE f.id IS NULL").fetchone()[0] == 0
    finally:
        c.close()


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        a, b, _ = setup(st)
        toks = st.tokens(2)
        refs = []
        run.run("files_reach_the_case_file_byte_for_byte",
                lambda: refs.append(t_files_reach_the_case_file(st, a, toks[0])))
        run.run("a_pull_cut_in_a_large_file_resumes_at_the_next_chunk",
                lambda: refs.append(t_cut_pull_resumes_mid_file(st, a, toks[1])))
        run.run("purge_removes_files_from_server_and_case_file",
                t_purge_removes_files_everywhere, st, a, refs)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
