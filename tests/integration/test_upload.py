"""Reports sent as multipart/form-data (issue 14): a report without files
is stored as the urlencoded one is; a file refused (kind told from its
first bytes, one byte over the size limit, one file too many) gives the
form again in the reporter's language with their text kept and the file
named (made safe), and stores nothing; each class of hostile body gets
its documented answer and stores nothing.

usage: /usr/bin/python3 tests/integration/test_upload.py --build build"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, PASSPHRASE  # noqa: E402
from open_attachment import open_file, CHUNK_CT  # noqa: E402
from open_envelope import unlock_secret_key  # noqa: E402
from test_intake import ref_of as intake_ref_of  # noqa: E402

B = "----tiplineTestBoundary7MA4YWxk"
CT = {"Content-Type": "multipart/form-data; boundary=" + B}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
MIB = 1024 * 1024


def part(name, value, filename=None, ctype=None):
    h = 'Content-Disposition: form-data; name="%s"' % name
    if filename is not None:
        h += '; filename="%s"' % filename
    if ctype:
        h += "\r\nContent-Type: " + ctype
    v = value if isinstance(value, bytes) else value.encode()
    fn = h.encode() if isinstance(h, str) else h
    return b"--" + B.encode() + b"\r\n" + fn + b"\r\n\r\n" + v + b"\r\n"


def body(tok, text, files=(), lang="en"):
    """What a browser sends: the fields, then the file input's parts (an
    empty part when no file was chosen)."""
    out = part("token", tok) + part("lang", lang) + part("description", text)
    if not files:
        out += part("files", b"", "", "application/octet-stream")
    for name, data, ctype in files:
        out += part("files", data, name, ctype)
    return out + b"--" + B.encode() + b"--\r\n"


def post(st, data, headers=None):
    return st.request("POST", "/submit", data, headers or CT)


def rejected(st, r, status, before, *needles):
    assert r.status == status, "expected %d, got %d: %s" % (status, r.status, r.text[:400])
    assert st.count() == before, "a row was added"
    for n in needles:
        assert n in r.text, "page lacks %r: %s" % (n, r.text[:2000])


def t_report_without_files_is_stored(st, tok):
    before = st.count()
    r = post(st, body(tok, "Workers sleep in a barn."))
    assert r.status == 200, (r.status, r.text[:300])
    assert st.count() == before + 1
    ref = ref_of(st, r)
    assert "Workers sleep in a barn." in st.cli_ok("show", ref)


def t_wrong_kind_refused_named_text_kept(st, tok):
    before = st.count()
    r = post(st, body(tok, "keep me please", [("photo.jpg", ZIP, "image/jpeg")]))
    # The declared type (image/jpeg) and the name lie: the content is a zip.
    rejected(st, r, 415, before, "keep me please", "<bdi>photo.jpg</bdi>",
             "not a kind we accept")
    assert 'name="token" value="%s"' % tok in r.text


def t_refusal_in_the_reporters_language(st, tok):
    before = st.count()
    r = post(st, body(tok, "bitte behalten", [("a.exe", b"MZ\x90\x00" * 8, None)],
                      lang="de"))
    rejected(st, r, 415, before, "bitte behalten", "NICHT eingegangen",
             "<bdi>a.exe</bdi>")


def t_hostile_name_shown_safe(st, tok):
    before = st.count()
    name = "../../etc/\x1b[31m\u202egpj.exe"
    r = post(st, body(tok, "x", [(name, ZIP, None)]))
    rejected(st, r, 415, before, "<bdi>_[31m_gpj.exe</bdi>")
    assert "\u202e" not in r.text and "\x1b" not in r.text and "../" not in r.text


def t_file_one_byte_over_refused_at_limit_not(st, toks):
    """max_file_bytes = 1M in this stack's config."""
    before = st.count()
    over = JPEG + b"\x00" * (MIB + 1 - len(JPEG))
    r = post(st, body(toks[0], "big one", [("big.jpg", over, "image/jpeg")]))
    rejected(st, r, 413, before, "big one", "<bdi>big.jpg</bdi>", "larger than 1 MB")
    at = over[:-1]
    r = post(st, body(toks[1], "at limit", [("ok.jpg", at, "image/jpeg")]))
    assert r.status == 200, (r.status, r.text[:300])
    assert st.count() == before + 1
    assert opened(st, ref_of(st, r)) == [("ok.jpg", "image/jpeg", at)]


def t_one_file_too_many_refused(st, tok):
    """max_files = 3 in this stack's config."""
    before = st.count()
    files = [("f%d.txt" % i, b"text %d\n" % i, "text/plain") for i in range(4)]
    r = post(st, body(tok, "four files", files))
    rejected(st, r, 400, before, "four files", "<bdi>f3.txt</bdi>", "at most 3 files")


def t_text_that_is_not_text_refused(st, tok):
    before = st.count()
    data = b"plain start, then binary " + b"\x00\x01\x02" * 100
    r = post(st, body(tok, "bin", [("notes.txt", data, "text/plain")]))
    rejected(st, r, 415, before, "<bdi>notes.txt</bdi>")


def t_hostile_multipart(st, tok):
    """Each class: 400 with the documented page, nothing stored."""
    before = st.count()
    good = body(tok, "hostile")
    bb = B.encode()
    cases = {
        "missing boundary": (good, {"Content-Type": "multipart/form-data"}),
        "repeated boundary": (good, {"Content-Type": "multipart/form-data; "
                                     "boundary=%s; boundary=%s" % (B, B)}),
        "boundary inside a part": (part("description", b"a\r\n--" + bb + b"junk")
                                   + b"--" + bb + b"--", CT),
        "part header of 100 KB": (b"--" + bb + b"\r\nContent-Disposition: form-data; "
                                  b"name=description\r\nX: " + b"h" * 100000
                                  + b"\r\n\r\nv\r\n--" + bb + b"--", CT),
        "1000 parts": (b"".join(part("p%d" % i, "v") for i in range(1000))
                       + b"--" + bb + b"--", CT),
        "no closing boundary": (good[:len(good) // 2], CT),
        "preamble": (b"hello\r\n" + good, CT),
        "file under another name": (part("upload", ZIP, "z.zip") + b"--" + bb + b"--", CT),
    }
    for what, (data, h) in cases.items():
        r = post(st, data, dict(h, **{"Accept-Language": "en"}))
        assert r.status == 400, "%s: %d %s" % (what, r.status, r.text[:200])
        assert "could not be read" in r.text or "arrived incomplete" in r.text, what
        assert st.count() == before, what


def t_zip_bomb_like_pdf_not_looked_into(st, tok):
    """A PDF whose stream would inflate to gigabytes: the server checks
    the first bytes only and never inflates it (it answers at once)."""
    import zlib
    bomb = zlib.compress(b"\x00" * (64 * MIB), 9)
    pdf = (b"%PDF-1.4\n1 0 obj<</Length " + str(len(bomb)).encode()
           + b"/Filter/FlateDecode>>stream\n" + bomb + b"\nendstream endobj\ntrailer<<>>\n%%EOF\n")
    t0 = time.monotonic()
    r = post(st, body(tok, "pdf", [("bomb.pdf", pdf, "application/pdf")]))
    assert r.status == 200, (r.status, r.text[:300])
    assert time.monotonic() - t0 < 10
    assert opened(st, ref_of(st, r)) == [("bomb.pdf", "application/pdf", pdf)]


def ref_of(st, r):
    """The received page (issue 13): the report found by its receipt."""
    return intake_ref_of(st, r)


def opened(st, ref):
    """Every file of ref, opened from the database by open_attachment.py
    (written from docs/FORMATS.md): [(name, kind, bytes)] by index."""
    pk, sk, _ = unlock_secret_key(st.key, PASSPHRASE.encode())
    out = []
    for aid, idx, head in st.query(
            "SELECT a.id, a.idx, a.head FROM attachments a JOIN reports r "
            "ON r.id = a.report_id WHERE r.ref = ? ORDER BY a.idx", ref):
        rows = st.query("SELECT n, data FROM attachment_chunks WHERE "
                        "attachment_id = ? ORDER BY n", aid)
        assert [n for n, _ in rows] == list(range(len(rows)))
        assert all(len(d) == CHUNK_CT for _, d in rows)
        h, data = open_file(bytes(head), b"".join(bytes(d) for _, d in rows),
                            ref, idx, pk, sk)
        out.append((h["name"].decode(), h["kind"], data))
    return out


EXIF_GPS_JPEG = (b"\xff\xd8\xff\xe1\x00\x2aExif\x00\x00MM\x00\x2a\x00\x00\x00\x08"
                 b"\x00\x01\x88\x25\x00\x04\x00\x00\x00\x01\x00\x00\x00\x1a"
                 b"GPSLatitude 46.948N 7.447E" + b"\xff\xd9")


def t_three_files_stored_with_the_report(st, tok):
    """A JPEG with EXIF GPS, a PDF and a text file with a marker: one
    report, its three files in the same transaction, each opening to the
    same bytes; a purge removes them with the report."""
    before = st.count()
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    text = ("marker-3f9c2a tipline file \u00e9\n" * 5000).encode()
    files = [("van.jpg", EXIF_GPS_JPEG, "image/jpeg"), ("contract.pdf", pdf, None),
             ("notes.txt", text, "text/plain")]
    r = post(st, body(tok, "three files", files))
    assert r.status == 200, (r.status, r.text[:300])
    ref = ref_of(st, r)
    assert st.count() == before + 1
    assert opened(st, ref) == [("van.jpg", "image/jpeg", EXIF_GPS_JPEG),
                               ("contract.pdf", "application/pdf", pdf),
                               ("notes.txt", "text/plain", text)]
    assert "three files" in st.cli_ok("show", ref)
    st.cli_ok("purge", ref)
    assert st.query("SELECT count(*) FROM attachments")[0][0] == \
        st.query("SELECT count(*) FROM attachments a JOIN reports r ON r.id = a.report_id")[0][0]
    assert st.query("SELECT count(*) FROM attachment_chunks c LEFT JOIN attachments a "
                    "ON a.id = c.attachment_id WHERE a.id IS NULL")[0][0] == 0
    assert not st.query("SELECT 1 FROM reports WHERE ref = ?", ref)


def t_refused_upload_stores_no_file(st):
    assert st.query("SELECT count(*) FROM attachments a LEFT JOIN reports r "
                    "ON r.id = a.report_id WHERE r.id IS NULL")[0][0] == 0
    n = st.query("SELECT count(*) FROM attachments")[0][0]
    assert n == 2, n      # the file at the limit and the PDF


def t_form_offers_files_with_limits_and_warnings(st):
    """This stack: max_files = 3, max_file_bytes = 1M (25M in all)."""
    r = st.request("GET", "/?lang=en")
    t = r.text
    assert 'enctype="multipart/form-data"' in t
    assert '<input type="file" id="f-files" name="files" multiple' in t
    assert "Up to 3 files, each up to 1 MB, 25 MB in all" in t
    assert "JPEG, PNG, WebP, HEIC" in t
    assert "where and when they were taken" in t and "screenshot" in t
    fs = t[t.index('<fieldset class="files">'):]
    fs = fs[:fs.index("</fieldset>")]
    assert "images of abuse" in fs            # the abuse warning, next to it
    de = st.request("GET", "/?lang=de").text
    assert "Bis zu 3 Dateien, jede bis 1 MB, zusammen bis 25 MB" in de
    assert "Bildschirmfoto" in de


def t_translations_keep_placeholders():
    d = os.path.join(os.path.dirname(__file__), "..", "..", "html", "locale")
    for fn in os.listdir(d):
        if not fn.endswith(".po"):
            continue
        text = open(os.path.join(d, fn), encoding="utf-8").read()
        for m in re.finditer(r'msgid "(Your report was NOT received: [^"]*\{file\}[^"]*)"\n'
                             r'msgstr "([^"]*)"', text):
            for ph in ("{file}", "{limit}"):
                assert (ph in m.group(1)) == (ph in m.group(2)), (fn, ph, m.group(2))
        m = re.search(r'msgid "(Up to \{files\}[^"]*)"\nmsgstr "([^"]*)"', text)
        assert m, fn
        for ph in ("{files}", "{each}", "{all}"):
            assert ph in m.group(2), (fn, ph)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    run.run("translations_keep_file_and_limit_placeholders", t_translations_keep_placeholders)
    st = Stack(build, extra_config="max_files = 3\nmax_file_bytes = 1M\n")
    try:
        toks = st.tokens(12)
        run.run("form_offers_files_with_limits_and_warnings",
                t_form_offers_files_with_limits_and_warnings, st)
        run.run("multipart_report_without_files_is_stored", t_report_without_files_is_stored,
                st, toks[0])
        run.run("wrong_kind_refused_named_text_kept_declared_type_ignored",
                t_wrong_kind_refused_named_text_kept, st, toks[1])
        run.run("refusal_in_the_reporters_language", t_refusal_in_the_reporters_language,
                st, toks[2])
        run.run("hostile_file_name_shown_safe", t_hostile_name_shown_safe, st, toks[3])
        run.run("file_one_byte_over_refused_exactly_at_limit_not",
                t_file_one_byte_over_refused_at_limit_not, st, toks[4:6])
        run.run("one_file_too_many_refused", t_one_file_too_many_refused, st, toks[6])
        run.run("text_file_that_is_not_text_refused", t_text_that_is_not_text_refused,
                st, toks[7])
        run.run("hostile_multipart_each_class_400_nothing_stored", t_hostile_multipart,
                st, toks[8])
        run.run("zip_bomb_like_pdf_not_looked_into", t_zip_bomb_like_pdf_not_looked_into,
                st, toks[9])
        run.run("three_files_stored_with_the_report_and_purged_with_it",
                t_three_files_stored_with_the_report, st, toks[10])
        run.run("refused_uploads_store_no_file", t_refused_upload_stores_no_file, st)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
