"""Integration tests of the intake through a real nginx and a real
tipline-fcgi: the form, a report end to end, invalid input, replays,
a locked database, privacy, the worker pool, start-up errors.

usage: /usr/bin/python3 tests/integration/test_intake.py --build build"""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP, wait_for, receipt_of, ref_by_receipt  # noqa: E402,E501

OPENER = os.path.join(TOP, "tests", "integration", "open_envelope.py")
REF = re.compile(r"TL-[0-9A-Z]{4}-[0-9A-Z]{4}")

FULL = {
    "type": "labour", "canton": "VS", "municipality": "Sion",
    "address": "Rue du Rhône 1", "place_type": "vineyard",
    "when": "since March", "ongoing": "yes", "victims_count": "about 6",
    "victims_ages": "20-30", "minors": "no", "victims_gender": "men",
    "victims_origin": "Romanian", "suspects": "two men, one drives a van",
    "suspect_names": "Gica", "suspect_role": "foreman",
    "vehicles": "white van, VS 12345", "online": "+41 79 000 00 00",
    "source": "saw", "contact_ok": "no", "contact": "",
    "description": "Workers sleep in a barn.\nPassports taken. "
                   "Ünïcödé ✓ 😀 <b>bold</b> & \"quotes\"",
}


def submit(st, tok, fields, **kw):
    f = dict(fields)
    f["token"] = tok
    return st.post(f, **kw)


def ref_of(st, r):
    """The received page is the POST's own answer (issue 13): 200, no
    redirect, a receipt and no reference; the report is found by the
    receipt's lookup id."""
    assert r.header("Location") is None, r.header("Location")
    assert not REF.search(r.text), "the page shows a reference"
    return st.received_ref(r)


def show_json(st, ref):
    out = st.cli_ok("show", "--json", ref)
    return json.loads(out)


def expect_rejected(st, r, status, before, *needles):
    assert r.status == status, "expected %d, got %d: %s" % (status, r.status, r.text[:400])
    assert r.header("Location") is None and receipt_of(r) is None
    assert st.count() == before, "a row was added"
    for n in needles:
        assert n in r.text, "page lacks %r" % n


def t_form_page(st):
    r = st.request("GET", "/")
    assert r.status == 200
    assert r.header("Cache-Control") == "no-store"
    assert r.header("Set-Cookie") is None
    assert 'action="/submit"' in r.text and 'name="description"' in r.text
    assert '<html lang="en" dir="ltr">' in r.text
    # the profile's numbers, as tel: links (issue 16)
    assert 'href="tel:117"' in r.text and 'href="tel:144"' in r.text
    h = st.request("HEAD", "/")
    assert h.status == 200 and h.body == b""


def t_static_css(st):
    r = st.request("GET", "/static/style.css")
    assert r.status == 200 and "text/css" in r.header("Content-Type")


def t_valid_report_end_to_end(st, tok):
    before = st.count()
    r = submit(st, tok, FULL)
    ref = ref_of(st, r)
    assert r.status == 200 and r.header("Cache-Control") == "no-store"
    assert "<title>" in r.text and "eceive" not in r.text.split(
        "<title>")[1].split("</title>")[0], "the title says what happened"
    assert "Anyone who has this receipt" in r.text
    # no page names the report: the old received URL is gone
    assert st.request("GET", "/received?ref=" + ref).status == 404
    assert st.count() == before + 1
    day, status = st.query("SELECT day, status FROM reports WHERE ref = ?", ref)[0]
    assert status == "new"
    assert day == time.strftime("%Y-%m-%d", time.gmtime())
    rec = show_json(st, ref)
    assert rec["ref"] == ref and rec["status"] == "new"
    sent = {k: v for k, v in FULL.items() if v}
    assert rec["record"]["fields"] == sent, rec["record"]["fields"]
    assert rec["record"]["v"] == 1 and rec["record"]["lang"] == "en"
    text = st.cli_ok("show", ref)
    assert "Labour exploitation" in text and "Workers sleep in a barn." in text
    listing = st.cli_ok("list")
    assert ref in listing
    return ref


def t_independent_decryption(st, ref):
    """PyNaCl, following docs/FORMATS.md, opens what our C code sealed."""
    p = subprocess.run(["/usr/bin/python3", OPENER, st.db, ref, st.key, st.passfile],
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    rec = json.loads(p.stdout)
    assert rec["fields"] == {k: v for k, v in FULL.items() if v}
    # a tampered envelope or a moved reference does not open
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", ref)[0][0]
    bad = bytearray(env)
    bad[-20] ^= 1
    path = os.path.join(st.dir, "bad.env")
    with open(path, "wb") as f:
        f.write(bad)
    p = subprocess.run(["/usr/bin/python3", OPENER, "--raw", path, ref, st.key,
                        st.passfile], capture_output=True, timeout=120)
    assert p.returncode != 0
    with open(path, "wb") as f:
        f.write(env)
    other = ref[:-1] + ("A" if ref[-1] != "A" else "B")
    p = subprocess.run(["/usr/bin/python3", OPENER, "--raw", path, other, st.key,
                        st.passfile], capture_output=True, timeout=120)
    assert p.returncode != 0


def t_reload_makes_one_report(st, tok):
    before = st.count()
    ra = submit(st, tok, {"description": "double click"})
    rb = submit(st, tok, {"description": "double click"})
    a, b = ref_of(st, ra), ref_of(st, rb)
    assert a == b
    # the same receipt again: a re-sent form is answered as the first
    assert receipt_of(ra) == receipt_of(rb), (receipt_of(ra), receipt_of(rb))
    assert st.count() == before + 1


def t_concurrent_double_submit(st, tok):
    before = st.count()
    refs = []

    def go():
        refs.append(ref_of(st, submit(st, tok, {"description": "racing clicks"})))
    ts = [threading.Thread(target=go) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert len(refs) == 4 and len(set(refs)) == 1, refs
    assert st.count() == before + 1


def t_invalid_inputs(st, toks):
    before = st.count()
    # bad UTF-8: 400, the other field kept
    r = submit(st, toks[0], {"description": "ok", "municipality": b"\xff\xfe"})
    expect_rejected(st, r, 400, before, "Your report has not been sent yet",
                    "#f-municipality")
    # too long, with what was typed kept
    r = submit(st, toks[1], {"description": "x" * 10001, "municipality": "Keepme"})
    expect_rejected(st, r, 400, before, "too long", 'value="Keepme"')
    # unknown field
    r = submit(st, toks[2], {"description": "hello", "colour": "red"})
    expect_rejected(st, r, 400, before, "did not expect", "hello</textarea>")
    # missing description
    r = submit(st, toks[3], {"type": "labour"})
    expect_rejected(st, r, 400, before, "Please describe", 'value="labour" selected')
    # enumerated value out of its list
    r = submit(st, toks[4], {"description": "x", "canton": "XX"})
    expect_rejected(st, r, 400, before, "choose one of the options")
    # duplicate field
    r = st.post("token=%s&description=a&description=b" % toks[5], encode=False)
    expect_rejected(st, r, 400, before)
    # bad percent-encoding
    r = st.post("token=%s&description=%%zz" % toks[6], encode=False)
    expect_rejected(st, r, 400, before)
    # script in a field comes back escaped, never live
    r = submit(st, toks[7], {"description": "<script>alert(1)</script>",
                             "canton": "nope"})
    expect_rejected(st, r, 400, before, "&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "<script>" not in r.text


def t_bad_tokens(st):
    before = st.count()
    r = st.post({"description": "no token here"})
    expect_rejected(st, r, 400, before, "could not be verified", "no token here")
    good = st.token()
    forged = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")
    time.sleep(2.2)
    r = submit(st, forged, {"description": "forged"})
    expect_rejected(st, r, 400, before, "could not be verified", "forged</textarea>")
    # the page offers a fresh token, so sending again works
    m = re.search(r'name="token" value="([A-Za-z0-9_-]+)"', r.text)
    assert m and m.group(1) != forged
    time.sleep(2.2)
    ref_of(st, submit(st, m.group(1), {"description": "forged"}))


def t_too_fresh_token(st):
    before = st.count()
    r = submit(st, st.token(), {"description": "bot speed"})
    expect_rejected(st, r, 400, before, "very quickly", "bot speed")


def t_honeypot(st, tok):
    before = st.count()
    r = submit(st, tok, {"description": "spam", "website": "http://spam"})
    receipt = receipt_of(r)  # looks like success
    assert receipt and r.header("Location") is None, r.status
    assert st.count() == before
    assert ref_by_receipt(st.db, receipt) is None


def t_methods_and_paths(st):
    assert st.request("PUT", "/submit", "x").status == 405
    assert st.request("DELETE", "/").status == 405
    assert st.request("TRACE", "/").status == 405
    r = st.request("GET", "/submit")
    assert r.status == 405 and r.header("Allow") == "POST"
    assert st.request("POST", "/", "a=b",
                      {"Content-Type": "application/x-www-form-urlencoded"}).status == 405
    assert st.request("GET", "/nope").status == 404
    assert st.request("GET", "/../../etc/passwd").status in (400, 404)
    assert st.request("GET", "/received?ref=<script>").status == 404
    assert st.request("GET", "/received").status == 404


def t_content_headers(st, tok):
    before = st.count()
    body = urllib.parse.urlencode({"token": tok, "description": "x"})
    r = st.request("POST", "/submit", body, {"Content-Type": "text/plain"})
    expect_rejected(st, r, 415, before)
    # multipart is read (issue 14): an urlencoded body under its name
    # cannot be read as one
    r = st.request("POST", "/submit", body, {"Content-Type": "multipart/form-data; boundary=x"})
    expect_rejected(st, r, 400, before)
    r = st.request("POST", "/submit", "description=" + "x" * 300000,
                   {"Content-Type": "application/x-www-form-urlencoded"})
    expect_rejected(st, r, 413, before)
    # a body shorter than its Content-Length, then the client gives up:
    # nginx buffers whole bodies, so nothing reaches the program; no row
    raw = st.raw(b"POST /submit HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: 200\r\n\r\ntoken=" + tok.encode() +
                 b"&description=short", timeout=1)
    assert raw == b"", raw[:200]
    assert st.count() == before
    assert st.request("GET", "/").status == 200


def t_locked_database(st, toks):
    """Another process holds the write lock (as a long CLI export might):
    the reporter gets 503 'not received', never a false 'received'."""
    before = st.count()
    db = sqlite3.connect(st.db, timeout=1, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.monotonic()
        r = submit(st, toks[0], {"description": "while locked"})
        waited = time.monotonic() - t0
        expect_rejected(st, r, 503, before, "NOT")
        assert r.header("Retry-After") == "60"
        assert waited < 5, waited
    finally:
        db.execute("ROLLBACK")
        db.close()
    # the same token works once the lock is gone: nothing was stored
    ref_of(st, submit(st, toks[0], {"description": "while locked"}))
    assert st.count() == before + 1


def t_write_failure(st, toks):
    """Writes to the database fail (a file-size limit on the workers and
    the writer, the way a full disk fails a write): 503 'not received', no
    row; when the limit is lifted, intake resumes without a restart."""
    import resource
    before = st.count()
    ws = st.children()
    for w in ws:
        resource.prlimit(w, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
    try:
        for tok in toks[:2]:          # reach both workers
            r = submit(st, tok, {"description": "cannot be written"})
            expect_rejected(st, r, 503, before, "NOT")
    finally:
        for w in ws:
            resource.prlimit(w, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert sorted(st.children()) == sorted(ws)
    for tok in toks[:2]:
        ref_of(st, submit(st, tok, {"description": "cannot be written"}))
    assert st.count() == before + 2
    rc, out, err = st.cli("list")
    assert rc == 0, err
    assert st.query("PRAGMA integrity_check")[0][0] == "ok"


MARK = "Mk7Q9zPrivacyMarker"


def t_privacy(st, tok):
    hdrs = {"User-Agent": "UA-" + MARK, "X-Forwarded-For": "203.0.113.77",
            "Cookie": "session=CK-" + MARK, "Referer": "http://ref-" + MARK + "/",
            "X-Real-IP": "198.51.100.9"}
    st.request("GET", "/", headers=hdrs)
    ref = ref_of(st, submit(st, tok, {"description": "privacy check"}, headers=hdrs))
    submit(st, "forged", {"description": "x", "canton": "bad"}, headers=hdrs)
    st.request("GET", "/nope", headers=hdrs)
    found = st.files_containing([MARK.encode(), b"203.0.113.77", b"198.51.100.9"])
    assert not found, found


def t_worker_restart(st, tok):
    ws = st.workers()
    assert len(ws) == 2, ws
    os.kill(ws[0], signal.SIGKILL)
    wait_for(lambda: len(st.workers()) == 2 and ws[0] not in st.workers(),
             what="a new worker")
    for _ in range(5):
        assert st.request("GET", "/").status == 200
    ref_of(st, submit(st, tok, {"description": "after a worker crash"}))


def t_cli_errors(st, ref):
    rc, _, err = st.cli("show", "TL-0000-0000")
    assert rc == 1 and "no report" in err
    rc, _, err = st.cli("show", "TL-12")
    assert rc == 2 and "not a reference" in err
    bad = os.path.join(st.dir, "badpass")
    with open(bad, "w") as f:
        f.write("wrong\n")
    rc, out, err = st.cli("show", ref, env={"TIPLINE_PASSPHRASE_FILE": bad})
    assert rc == 1 and "wrong passphrase" in err and out == ""
    rc, _, err = st.cli("frobnicate")
    assert rc == 2
    rc, out, _ = st.cli("help", "show")
    assert rc == 0 and "usage: tipline show" in out
    rc, _, err = st.cli("keygen", "-o", os.path.join(st.dir, "secretariat"))
    assert rc == 1 and "refusing to overwrite" in err


def fcgi_check(st, conf_text):
    path = os.path.join(st.dir, "check.conf")
    with open(path, "w") as f:
        f.write(conf_text)
    p = subprocess.run([os.path.join(st.build, "tipline-fcgi"), "--check",
                        "--config", path], capture_output=True, timeout=60)
    return p.returncode, p.stderr.decode()


def t_startup_errors(st):
    base = "database = %s\nrecipients = %s\nsecret = %s/server.secret\ntemplates = %s/html\n"
    ok = base % (st.db, st.pub, st.dir, TOP)
    assert fcgi_check(st, ok)[0] == 0
    rc, err = fcgi_check(st, ok + "wrokers = 2\n")
    assert rc == 1 and "check.conf:5: unknown key" in err, err
    rc, err = fcgi_check(st, base % (st.db, st.key, st.dir, TOP))
    assert rc == 1 and "secret key" in err and "secretariat.key:" in err, err
    rc, err = fcgi_check(st, base % (st.db, st.dir + "/none.pub", st.dir, TOP))
    assert rc == 1 and "none.pub" in err, err
    junk = os.path.join(st.dir, "junk.pub")
    with open(junk, "w") as f:
        f.write("# fine\nnot a key\n")
    rc, err = fcgi_check(st, base % (st.db, junk, st.dir, TOP))
    assert rc == 1 and "junk.pub:2" in err, err
    rc, err = fcgi_check(st, base % ("/nonexistent/dir/tips.db", st.pub, st.dir, TOP))
    assert rc == 1 and "/nonexistent/dir/tips.db" in err, err
    assert fcgi_check(st, ok)[0] == 0
    p = subprocess.run([os.path.join(st.build, "tipline-fcgi"), "--config",
                        os.path.join(st.dir, "check.conf")],
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and b"no listening socket" in p.stderr


def t_secret_created_0600(st):
    mode = os.stat(os.path.join(st.dir, "server.secret")).st_mode & 0o777
    assert mode == 0o600, oct(mode)


def t_sigterm_drains(st):
    assert st.stop() == 0


def t_spawn_fcgi_fd0(st):
    """The socket on fd 0, as spawn-fcgi (and systemd with
    StandardInput=socket) pass it; cgi-fcgi speaks FastCGI to it."""
    sock = os.path.join(st.dir, "spawn.sock")
    log = open(st.fcgi_log, "ab")
    p = subprocess.Popen(["spawn-fcgi", "-n", "-s", sock, "--",
                          os.path.join(st.build, "tipline-fcgi"), "--config", st.conf],
                         stdout=log, stderr=log)
    try:
        wait_for(lambda: os.path.exists(sock), what="spawn-fcgi socket")
        env = dict(os.environ, REQUEST_METHOD="GET", DOCUMENT_URI="/",
                   QUERY_STRING="")
        out = b""
        for _ in range(50):     # the workers may still be starting
            r = subprocess.run(["cgi-fcgi", "-bind", "-connect", sock], env=env,
                               capture_output=True, timeout=30)
            out = r.stdout
            if b"Status: 200" in out:
                break
            time.sleep(0.1)
        assert b"Status: 200 OK" in out and b'name="token"' in out, out[:300]
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(15)
    assert rc == 0, rc


def t_no_sanitizer_reports(st):
    st.assert_no_sanitizer_reports()


def ask_for_english(st):
    """Pages are in German unless the browser asks for another language;
    these tests read the English pages, so every request asks for English
    (Accept-Language: en), as an English browser would."""
    plain = st.request

    def request(method, path, body=None, headers=None):
        h = {"Accept-Language": "en"}
        h.update(headers or {})
        return plain(method, path, body, h)
    st.request = request


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    ask_for_english(st)
    try:
        toks = st.tokens(20)
        run.run("form_page_is_served_with_no_store", t_form_page, st)
        run.run("static_css_is_served_by_nginx", t_static_css, st)
        ref = None

        def e2e():
            nonlocal ref
            ref = t_valid_report_end_to_end(st, toks[0])
        run.run("valid_report_received_page_with_receipt_opens_to_what_was_sent", e2e)
        run.run("pynacl_opens_the_envelope_from_the_format_doc",
                lambda: t_independent_decryption(st, ref))
        run.run("reload_of_the_same_post_makes_one_report",
                t_reload_makes_one_report, st, toks[1])
        run.run("concurrent_double_submit_makes_one_report",
                t_concurrent_double_submit, st, toks[2])
        run.run("invalid_inputs_get_400_the_form_back_and_no_row",
                t_invalid_inputs, st, toks[3:11])
        run.run("missing_and_forged_tokens_get_400_and_a_fresh_token", t_bad_tokens, st)
        run.run("too_fresh_token_is_rejected", t_too_fresh_token, st)
        run.run("honeypot_looks_received_but_stores_nothing", t_honeypot, st, toks[11])
        run.run("wrong_methods_and_paths_get_405_404", t_methods_and_paths, st)
        run.run("wrong_content_type_and_sizes_are_refused", t_content_headers, st, toks[12])
        run.run("locked_database_gives_503_never_received", t_locked_database, st, toks[13:14])
        run.run("failed_database_write_gives_503_then_resumes",
                t_write_failure, st, toks[16:18])
        run.run("privacy_markers_appear_in_no_file", t_privacy, st, toks[14])
        run.run("killed_worker_is_restarted", t_worker_restart, st, toks[15])
        run.run("cli_errors_are_clear", lambda: t_cli_errors(st, ref))
        run.run("startup_errors_name_the_file_and_line", t_startup_errors, st)
        run.run("server_secret_is_created_0600", t_secret_created_0600, st)
        run.run("sigterm_drains_and_exits_0", t_sigterm_drains, st)
        run.run("spawn_fcgi_socket_on_fd0_is_served", t_spawn_fcgi_fd0, st)
        run.run("no_sanitizer_reports_in_logs", t_no_sanitizer_reports, st)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
