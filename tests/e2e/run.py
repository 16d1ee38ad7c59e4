"""The browser suite and the translation checks.

1. Translations: every msgid translated in every language (msgfmt
   --statistics), and the .po files hold exactly the msgids the sources
   use (html/locale/extract.sh run afresh).
2. Starts the real stack (tests/integration/harness.py: nginx and
   tipline-fcgi on loopback) and checks over HTTP how a request's
   language is chosen, and that hostile language values change nothing.
3. Runs tests/e2e/e2e.mjs in Debian's Chromium, JavaScript off.
4. Opens every report the browser sent with the CLI and compares it with
   what was typed, byte for byte.

usage: /usr/bin/python3 tests/e2e/run.py --build build [--readme-shot FILE]
Prints "ok - NAME" / "not ok - NAME" lines."""

import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import Stack, Runner, ref_by_receipt  # noqa: E402

LANGS = ["de", "fr", "it", "en", "ro", "hu", "bg", "es", "pt", "ru", "ar", "fa"]
LOCALE = os.path.join(TOP, "html", "locale")
SHOTS = os.path.join(HERE, "screenshots")


def po_unquote(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def read_po(path):
    """msgid -> (msgstr, fuzzy), from a .po file (no plurals, no
    contexts: tipline uses neither)."""
    out, cur, key, fuzzy = {}, {}, None, False

    def flush():
        nonlocal cur, fuzzy
        if "msgid" in cur:
            out[cur["msgid"]] = (cur.get("msgstr", ""), fuzzy)
        cur, fuzzy = {}, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("msgid "):
                if "msgstr" in cur:
                    flush()
                key = "msgid"
                cur[key] = po_unquote(line[7:-1])
            elif line.startswith("msgstr "):
                key = "msgstr"
                cur[key] = po_unquote(line[8:-1])
            elif line.startswith('"') and key:
                cur[key] += po_unquote(line[1:-1])
            elif line.startswith(("msgctxt", "msgid_plural")):
                raise AssertionError("%s: contexts and plurals are not used" % path)
        flush()
    out.pop("", None)
    return out


def t_every_msgid_translated_in_every_language():
    counts = set()
    for lang in LANGS:
        p = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                            os.path.join(LOCALE, lang + ".po")],
                           capture_output=True, timeout=60)
        err = p.stderr.decode()
        assert p.returncode == 0, err
        m = re.fullmatch(r"(\d+) translated messages\.\n", err)
        assert m, "%s.po: %s" % (lang, err.strip())     # no fuzzy, no untranslated
        counts.add(int(m.group(1)))
        for msgid, (msgstr, fuzzy) in read_po(os.path.join(LOCALE, lang + ".po")).items():
            assert msgstr.strip() and not fuzzy, (lang, msgid)
    assert len(counts) == 1, counts


def t_po_files_hold_exactly_the_msgids_of_the_sources():
    with tempfile.TemporaryDirectory(prefix="tipline-pot-") as d:
        pot = os.path.join(d, "fresh.pot")
        subprocess.run(["sh", os.path.join(LOCALE, "extract.sh"), pot], check=True,
                       timeout=120)
        fresh = set(read_po(pot))
    assert len(fresh) > 100, len(fresh)
    assert fresh == set(read_po(os.path.join(LOCALE, "tipline.pot"))), \
        "html/locale/tipline.pot is stale: run make pot"
    for lang in LANGS:
        have = set(read_po(os.path.join(LOCALE, lang + ".po")))
        assert not fresh - have, "%s.po lacks %s (make update-po)" % (lang, fresh - have)
        assert not have - fresh, "%s.po has obsolete %s" % (lang, have - fresh)


def t_translations_differ_from_english():
    """A translation that is only the English copied over is not one:
    names (of cantons, say) may be the same, sentences may not."""
    for lang in LANGS:
        if lang == "en":
            continue
        po = read_po(os.path.join(LOCALE, lang + ".po"))
        same = sorted(k for k, (v, _) in po.items() if k == v and len(k.split()) >= 3)
        assert not same, (lang, same)


# ---- HTTP: how a request's language is chosen -----------------------------



def page_lang(r):
    m = re.search(r'<html lang="([a-z]{2})" dir="(?:ltr|rtl)">', r.text)
    return m.group(1) if m else None


def english_left(messages, lang, text):
    """English sentences (3 words or more) whose translation differs that
    a page in lang still shows."""
    if lang == "en":
        return []
    shown = html.unescape(re.sub(r"<[^>]*>", " ", text))
    return [k for k, v in messages[lang].items()
            if k != v and len(k.split()) >= 3 and k in shown]


def post(st, fields, headers=None):
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return st.request("POST", "/submit", urllib.parse.urlencode(fields), h)


def t_language_order_choice_header_default(st):
    assert page_lang(st.request("GET", "/")) == "de"
    r = st.request("GET", "/", headers={"Accept-Language": "it-CH, fr;q=0.5"})
    assert page_lang(r) == "it" and r.header("Content-Language") == "it"
    assert "Accept-Language" in (r.header("Vary") or "")
    r = st.request("GET", "/?lang=en", headers={"Accept-Language": "fr"})
    assert page_lang(r) == "en" and 'name="lang" value="en"' in r.text
    r = st.request("GET", "/privacy?lang=fr", headers={"Accept-Language": "de"})
    assert r.status == 200 and page_lang(r) == "fr"
    assert 'href="/privacy?lang=it" hreflang="it"' in r.text
    # no page of its own names a report any more (issue 13)
    assert st.request("GET", "/received?lang=it&ref=TL-7KQ2-M9XD").status \
        == 404
    assert st.request("HEAD", "/privacy").status == 200


def t_hostile_language_values_are_ignored(st):
    for q in ("zz", "DE", "d", "%3Cscript%3E", "<script>x</script>", "de%00",
              "fr%26lang%3Dit", "x" * 2000):
        r = st.request("GET", "/?lang=" + q, headers={"Accept-Language": "it"})
        assert r.status == 200, (q, r.status)
        assert page_lang(r) == "it", (q, page_lang(r))
        assert "<script>x" not in r.text and "x" * 100 not in r.text
    assert page_lang(st.request("GET", "/?lang=fr&lang=it")) == "fr"
    # nothing usable: English when the browser sent something (it asks for
    # languages we lack), the profile's first language when it sent none
    for h in ("", "*;q=0", ";;;,,", "fr;q=2", "fr;q=0", "xx-YY", "fr, " + "xx;q=0.1, " * 60 + "en",
              "de;q=0.5, " * 60 + "fr", "\u00e9\u00e8"):
        r = st.request("GET", "/", headers={"Accept-Language": h})
        want = "de" if h == "" else "en"
        assert r.status == 200 and page_lang(r) == want, (h, page_lang(r))


def t_the_chosen_language_survives_the_post(st):
    toks = st.tokens(3)
    before = st.count()
    # an explicit choice (the form's hidden field) beats the header, and
    # is the received page's language (the POST's own answer)
    r = post(st, {"token": toks[0], "description": "choisi", "lang": "fr"},
             {"Accept-Language": "de"})
    assert r.status == 200 and r.header("Location") is None
    assert page_lang(r) == "fr"
    rec = json.loads(st.cli_ok("show", "--json", st.received_ref(r)))
    assert rec["record"]["lang"] == "fr"
    # no choice: the header decides
    r = post(st, {"token": toks[1], "description": "header"}, {"Accept-Language": "it"})
    assert page_lang(r) == "it"
    assert json.loads(st.cli_ok("show", "--json", st.received_ref(r)))[
        "record"]["lang"] == "it"
    # a value that is not one of ours is ignored, not stored
    r = post(st, {"token": toks[2], "description": "bogus", "lang": "xx"},
             {"Accept-Language": "en-GB"})
    assert page_lang(r) == "en"
    assert json.loads(st.cli_ok("show", "--json", st.received_ref(r)))[
        "record"]["lang"] == "en"
    assert st.count() == before + 3


def t_error_pages_in_the_reporter_s_language(st, messages):
    for lang in LANGS:
        h = {"Accept-Language": lang}
        m = messages[lang]
        cases = [
            (st.request("GET", "/nowhere", headers=h), 404, "Page not found"),
            (st.request("GET", "/submit", headers=h), 405, "Not allowed"),
            (st.request("POST", "/privacy", "a=b", dict(h, **{
                "Content-Type": "application/x-www-form-urlencoded"})), 405,
             "This page can only be read."),
            (st.request("POST", "/submit", "description=x", dict(h, **{
                "Content-Type": "text/plain"})), 415, "Not received"),
            (post(st, {"token": "forged", "description": "kept-text"}, h), 400,
             "The form could not be verified. What you wrote is kept below. "
             "Please send it again."),
            (post(st, {"description": "x", "colour": "red", "lang": lang}), 400,
             "Your report has not been sent yet"),
        ]
        for r, status, msgid in cases:
            assert r.status == status, (lang, msgid, r.status)
            assert page_lang(r) == lang, (lang, msgid, page_lang(r))
            assert html.escape(m[msgid], quote=True).replace("&#x27;", "&#39;") \
                in r.text, (lang, m[msgid])
            left = english_left(messages, lang, r.text)
            assert not left, (lang, status, left)


def t_not_received_503_in_french_keeps_the_text(st, messages):
    tok = st.tokens(1)[0]
    before = st.count()
    db = sqlite3.connect(st.db, timeout=1, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        r = post(st, {"token": tok, "description": "Texte gardé « ici »",
                      "municipality": "Neuchâtel", "lang": "fr"})
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert r.status == 503 and r.header("Retry-After") == "60"
    assert page_lang(r) == "fr" and st.count() == before
    assert "n’a PAS été reçu" in html.unescape(r.text)
    assert "Texte gardé « ici »</textarea>" in html.unescape(r.text)
    assert 'value="Neuchâtel"' in r.text
    assert not english_left(messages, "fr", r.text)
    st.received_ref(post(st, {"token": tok, "description": "Texte gardé « ici »",
                              "lang": "fr"}))
    assert st.count() == before + 1



def capture_not_stored(st, d):
    """The server's real 503 page ("not stored") in every language, got
    while this process holds the database's write lock, for the browser
    suite to replay (it cannot hold the lock itself)."""
    toks = st.tokens(len(LANGS))
    before = st.count()
    pages = {}
    db = sqlite3.connect(st.db, timeout=1, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        for tok, lang in zip(toks, LANGS):
            r = post(st, {"token": tok, "description": "x", "lang": lang})
            assert r.status == 503 and page_lang(r) == lang, (lang, r.status)
            pages[lang] = r.text
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert st.count() == before
    path = os.path.join(d, "not-stored.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(pages, f, ensure_ascii=False)
    return path


def messages():
    return {lang: {k: v for k, (v, _) in read_po(os.path.join(LOCALE, lang + ".po")).items()}
            for lang in LANGS}


def messages_file(d, m):
    path = os.path.join(d, "messages.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(m, f, ensure_ascii=False)
    return path


# Issue 14: what the browser attaches (a JPEG whose EXIF holds GPS
# coordinates, a PDF, a text file with a marker).
FILES = {
    "photo.jpg": (b"\xff\xd8\xff\xe1\x00\x2aExif\x00\x00MM\x00\x2a\x00\x00\x00\x08"
                  b"\x00\x01\x88\x25\x00\x04\x00\x00\x00\x01\x00\x00\x00\x1a"
                  b"GPSLatitude 46.948N 7.447E" + b"\x00" * 70000 + b"\xff\xd9"),
    "contract.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\ntrailer<<>>\n%%EOF\n",
    "notes.txt": b"e2e-file-marker-7c1d tipline\n" * 3000,
}


def write_files(tmp):
    d = os.path.join(tmp, "files")
    os.mkdir(d, 0o700)
    for name, data in FILES.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return d


def check_files(st, d):
    with open(os.path.join(d, "receipt")) as f:
        receipt = f.read().strip()
    ref = ref_by_receipt(st.db, receipt)
    assert ref, "no report has the receipt %s" % receipt
    out = os.path.join(d, "extracted")
    os.mkdir(out, 0o700)
    st.cli_ok("files", ref, "--extract", out)
    for i, name in enumerate(("photo.jpg", "contract.pdf", "notes.txt")):
        with open(os.path.join(out, "%d-%s" % (i + 1, name)), "rb") as f:
            assert f.read() == FILES[name], name


def check_reports(run, st, results):
    seen = set()
    for r in sorted(results, key=lambda r: (r["flow"], LANGS.index(r["lang"]))):
        def one(r=r):
            # the browser saw only the receipt (issue 13): its lookup id
            # finds the report, and the receipt names no reference
            ref = ref_by_receipt(st.db, r["receipt"])
            assert ref, "no report has the receipt %s" % r["receipt"]
            out = st.cli_ok("show", "--json", ref)
            rec = json.loads(out)
            assert rec["ref"] == ref
            assert rec["record"]["lang"] == r["lang"], (rec["record"]["lang"], r["lang"])
            assert rec["record"]["fields"] == r["fields"], \
                (rec["record"]["fields"], r["fields"])
            seen.add((r["flow"], r["lang"]))
        run.run("cli_opens_report_%s_%s_exactly_as_typed" % (r["flow"], r["lang"]), one)

    def all_arrived():
        want = {(f, lang) for f in ("sent_at_once", "sent_after_an_error")
                for lang in LANGS}
        assert seen == want, sorted(want - seen)
        assert len(results) == len(want), len(results)
    run.run("a_report_from_each_flow_in_each_language_arrived", all_arrived)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    readme = (sys.argv[sys.argv.index("--readme-shot") + 1]
              if "--readme-shot" in sys.argv else None)
    run = Runner()
    run.run("translations_complete_msgfmt_statistics",
            t_every_msgid_translated_in_every_language)
    run.run("translations_match_the_sources",
            t_po_files_hold_exactly_the_msgids_of_the_sources)
    run.run("translations_are_not_english_copies",
            t_translations_differ_from_english)
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        print("not ok - e2e: tests/e2e/node_modules missing (tests/once/browser.sh "
              "installs it)")
        return 1
    # Forms expire after a minute (the least the config allows), so that
    # the browser suite meets a real expired form within its run.
    st = Stack(build, extra_config="token_max_age = 60\n")
    tmp = tempfile.mkdtemp(prefix="tipline-e2e-")
    msgs = messages()
    try:
        run.run("http_language_order_choice_then_header_then_german",
                t_language_order_choice_header_default, st)
        run.run("http_hostile_language_values_are_ignored",
                t_hostile_language_values_are_ignored, st)
        run.run("http_the_chosen_language_survives_the_post",
                t_the_chosen_language_survives_the_post, st)
        run.run("http_error_pages_in_the_reporter_s_language",
                t_error_pages_in_the_reporter_s_language, st, msgs)
        run.run("http_503_not_received_in_french_keeps_the_text",
                t_not_received_503_in_french_keeps_the_text, st, msgs)
        results_path = os.path.join(tmp, "results.json")
        not_stored = []
        run.run("http_503_not_received_in_every_language",
                lambda: not_stored.append(capture_not_stored(st, tmp)))
        if not not_stored:
            return 1
        files_dir = write_files(tmp)
        cmd = ["node", os.path.join(HERE, "e2e.mjs"), "--port", str(st.port),
               "--messages", messages_file(tmp, msgs), "--results", results_path,
               "--shots", SHOTS, "--not-stored", not_stored[0], "--files", files_dir]
        if readme:
            cmd += ["--readme-shot", os.path.abspath(readme)]
        try:
            p = subprocess.run(cmd, cwd=HERE, timeout=780)
            node_rc = p.returncode
        except subprocess.TimeoutExpired:
            print("not ok - e2e: the browser suite finished in time")
            node_rc = 1
        if node_rc != 0:
            run.failed += 1     # its "not ok" lines are printed already
        results = []
        if os.path.exists(results_path):
            with open(results_path) as f:
                results = json.load(f)
        check_reports(run, st, results)
        run.run("cli_extracts_the_three_files_the_browser_sent_byte_for_byte",
                check_files, st, files_dir)

        def no_sanitizer():
            logs = st.logs()
            for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
                assert bad not in logs, logs[-3000:]
        run.run("no_sanitizer_reports_in_logs", no_sanitizer)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
        subprocess.run(["rm", "-rf", tmp])
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
