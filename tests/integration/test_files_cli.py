"""The analysts' side of attachments (issue 14, stage 7): show lists a
report's files (name made safe, kind, size), show --json and export
--format json list them, `tipline files REF --extract DIR` writes them
byte for byte under safe names, mode 0600, never over a file; verify
authenticates every chunk, and a chunk flipped, swapped with another
report's, or a file without its final chunk is named by verify and
refused by --extract, which then writes nothing.

usage: /usr/bin/python3 tests/integration/test_files_cli.py --build build"""

import json
import os
import sqlite3
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_upload import body, post, ref_of, EXIF_GPS_JPEG  # noqa: E402

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\ntrailer<<>>\n%%EOF\n"
TEXT = b"marker-cli-files\n" * 9000
HOSTILE = "../\x1b[31m\u202egpj.exe.txt"


def send(st, tok, text, files):
    r = post(st, body(tok, text, files))
    assert r.status == 200, (r.status, r.text[:300])
    return ref_of(st, r)


def t_show_lists_files(st, ref):
    out = st.cli_ok("show", ref)
    assert "Files:" in out and "1. van.jpg  image/jpeg" in out, out
    assert "2. c.pdf  application/pdf  %d bytes" % len(PDF) in out
    assert "3. _[31m_gpj.exe.txt  text/plain" in out
    assert "\x1b" not in out and "\u202e" not in out
    js = json.loads(st.cli_ok("show", "--json", ref))
    assert [f["name"] for f in js["files"]] == ["van.jpg", "c.pdf", "_[31m_gpj.exe.txt"]
    assert js["files"][1] == {"index": 2, "name": "c.pdf", "kind": "application/pdf",
                              "size": len(PDF)}
    lines = [json.loads(x) for x in st.cli_ok("export", "--format", "json").splitlines()
             if x.strip()]
    mine = [x for x in lines if x.get("ref") == ref]
    assert mine and len(mine[0]["files"]) == 3, lines[:1]


def t_extract_byte_for_byte(st, ref):
    d = os.path.join(st.dir, "out")
    os.mkdir(d, 0o700)
    st.cli_ok("files", ref, "--extract", d)
    names = sorted(os.listdir(d))
    assert names == ["1-van.jpg", "2-c.pdf", "3-_[31m_gpj.exe.txt"], names
    for n, data in zip(names, (EXIF_GPS_JPEG, PDF, TEXT)):
        p = os.path.join(d, n)
        assert open(p, "rb").read() == data, n
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, oct(os.stat(p).st_mode)
    rc, _, err = st.cli("files", ref, "--extract", d)
    assert rc == 1 and "not overwritten" in err, err
    assert sorted(os.listdir(d)) == names


def damage(st, sql, *args):
    db = sqlite3.connect(st.db)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def chunk_ids(st, ref):
    return st.query("SELECT c.id, a.idx, c.n FROM attachment_chunks c JOIN attachments a "
                    "ON a.id = c.attachment_id JOIN reports r ON r.id = a.report_id "
                    "WHERE r.ref = ? ORDER BY a.idx, c.n", ref)


def refused(st, ref, why):
    rc, _, err = st.cli("verify")
    assert rc == 1 and ref in err and why in err, err
    d = os.path.join(st.dir, "bad-%s" % why.split()[0])
    os.mkdir(d, 0o700)
    rc, _, err = st.cli("files", ref, "--extract", d)
    assert rc == 1 and "nothing written" in err, err
    assert os.listdir(d) == [], os.listdir(d)      # not even the first files


def t_damage_named_and_refused(st, ref, other):
    rc, out, err = st.cli("verify")
    assert rc == 0, err
    cid = chunk_ids(st, ref)[-1][0]          # the text file's last chunk
    data = bytes(st.query("SELECT data FROM attachment_chunks WHERE id = ?", cid)[0][0])
    flipped = bytearray(data)
    flipped[100] ^= 1
    damage(st, "UPDATE attachment_chunks SET data = ? WHERE id = ?", bytes(flipped), cid)
    refused(st, ref, "file 3, chunk 3")
    oid = chunk_ids(st, other)[0][0]
    odata = bytes(st.query("SELECT data FROM attachment_chunks WHERE id = ?", oid)[0][0])
    damage(st, "UPDATE attachment_chunks SET data = ? WHERE id = ?", odata, cid)
    refused(st, ref, "does not authenticate")
    damage(st, "UPDATE attachment_chunks SET data = ? WHERE id = ?", data, cid)
    assert st.cli("verify")[0] == 0
    damage(st, "DELETE FROM attachment_chunks WHERE id = ?", cid)
    refused(st, ref, "ends before its final chunk")


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        toks = st.tokens(2)
        ref = send(st, toks[0], "three files", [("van.jpg", EXIF_GPS_JPEG, "image/jpeg"),
                                                ("c.pdf", PDF, None), (HOSTILE, TEXT, None)])
        other = send(st, toks[1], "another", [("o.txt", TEXT, None)])
        run.run("show_and_export_list_files_names_made_safe", t_show_lists_files, st, ref)
        run.run("files_extract_byte_for_byte_0600_never_overwrites",
                t_extract_byte_for_byte, st, ref)
        run.run("chunk_flipped_swapped_or_final_removed_named_and_refused",
                t_damage_named_and_refused, st, ref, other)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
