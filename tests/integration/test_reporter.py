"""The reporter's side over HTTP (issue 16): the deployment profile (a
bad one stops start-up with its line named; the fictional one changes
the organisation, numbers and help section on every page in every
language), English for a browser that asks only for languages we lack,
neutral titles, the error summary first, folded optional groups that
keep what was typed, and the kind question about contact answers.

usage: /usr/bin/python3 tests/integration/test_reporter.py --build build"""

import html
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP  # noqa: E402

ALL = ["de", "fr", "it", "en", "ro", "hu", "bg", "es", "pt", "ru", "ar", "fa"]
RTL = {"ar", "fa"}
EXAMPLE = os.path.join(TOP, "html", "profiles", "example.profile")


def page_lang(r):
    m = re.search(r'<html lang="([a-z]{2})" dir="(ltr|rtl)">', r.text)
    return (m.group(1), m.group(2)) if m else (None, None)


def title(r):
    m = re.search(r"<title>([^<]*)</title>", r.text)
    return html.unescape(m.group(1)) if m else None


def pages(st, langs):
    """(what, response) for every page in each language: the form, the
    privacy page, a 404, and the received page, which is the answer to
    a POST (issue 13), not a page of its own."""
    toks = st.tokens(len(langs))
    for lang, tok in zip(langs, toks):
        for path in ("/?lang=" + lang, "/privacy?lang=" + lang,
                     "/nowhere?lang=" + lang):
            yield path, st.request("GET", path)
        r = st.post({"token": tok, "description": "page in " + lang,
                     "lang": lang})
        assert r.status == 200 and 'class="receipt"' in r.text, lang
        yield "received in " + lang, r


def post(st, fields, headers=None):
    return st.post(fields, headers)


# ---- start-up ---------------------------------------------------------------

def start_with_profile(st, text):
    """Runs tipline-fcgi with st's config plus a profile; returns
    (exit status, stderr). It must stop before it listens."""
    d = tempfile.mkdtemp(prefix="tipline-prof-", dir=st.dir)
    prof = os.path.join(d, "bad.profile")
    with open(prof, "w") as f:
        f.write(text)
    conf = os.path.join(d, "tipline.conf")
    with open(st.conf) as f, open(conf, "w") as g:
        g.write(f.read() + "profile = %s\n" % prof)
    p = subprocess.run([os.path.join(st.build, "tipline-fcgi"), "--config", conf,
                        "--listen", "unix:" + os.path.join(d, "s.sock")],
                       capture_output=True, timeout=30)
    return p.returncode, p.stderr.decode(), prof


def t_a_bad_profile_stops_start_up_with_its_line(st):
    with open(os.path.join(TOP, "html", "profiles", "ch.profile")) as f:
        good = f.read().splitlines()
    for bad, what in [("emergency = police 11x7", "emergency"),
                      ("leave_url = http://weather.example/", "https"),
                      ("languages = de xx", "xx"),
                      ("colour = red", "unknown key")]:
        lines = good[:20] + [bad] + good[20:]
        rc, err, prof = start_with_profile(st, "\n".join(lines) + "\n")
        assert rc != 0, (bad, rc, err)
        assert "%s:21: " % prof in err and what in err, (bad, err)
    rc, err, prof = start_with_profile(st, "site_name = x\n")
    assert rc != 0 and "%s:1: " % prof in err and "missing" in err, err


# ---- the Swiss profile (the default) -------------------------------------

def t_every_language_every_page_has_numbers_help_and_a_neutral_title(st):
    for path, r in pages(st, ALL):
        lang = page_lang(r)[0]
        assert page_lang(r) == (lang, "rtl" if lang in RTL else "ltr"), \
            (path, page_lang(r))
        assert path.endswith(lang), (path, lang)
        assert title(r) == "KSMM", (path, title(r))
        assert 'href="tel:117"' in r.text and 'href="tel:144"' in r.text, path
        if path.startswith(("/?", "received")):
            assert 'id="help"' in r.text and "aide-aux-victimes.ch" in r.text, path
            assert "ACT212" in r.text and "FIZ" in r.text, path
        # the language list names every language in itself
        for other in ALL:
            assert 'hreflang="%s"' % other in r.text, (path, other)


def t_languages_browser_choice_english_fallback_default(st):
    def lang_of(h):
        return page_lang(st.request("GET", "/", headers=h))[0]
    assert lang_of({}) == "de"
    assert lang_of({"Accept-Language": "ro-RO,ro;q=0.9,en;q=0.5"}) == "ro"
    assert lang_of({"Accept-Language": "fa-IR"}) == "fa"
    # a browser whose languages are all unsupported gets English
    assert lang_of({"Accept-Language": "sv-SE, nl;q=0.8"}) == "en"
    assert lang_of({"Accept-Language": "ti-ER"}) == "en"
    assert lang_of({"Accept-Language": "gsw"}) == "de"


def t_the_record_keeps_each_new_language(st):
    toks = st.tokens(len(ALL))
    for tok, lang in zip(toks, ALL):
        r = post(st, {"token": tok, "description": "lang " + lang, "lang": lang})
        rec = json.loads(st.cli_ok("show", "--json", st.received_ref(r)))
        assert rec["record"]["lang"] == lang, (lang, rec["record"]["lang"])


def t_errors_come_first_and_groups_keep_what_was_typed(st):
    fresh = st.request("GET", "/?lang=en").text
    assert "<details class=\"group\" open>" not in fresh
    assert fresh.count("<details class=\"group\">") == 5, fresh.count("<details")
    assert "(optional)" not in fresh
    tok = st.tokens(1)[0]
    r = post(st, {"token": tok, "municipality": "Bern-Bümpliz", "lang": "en",
                  "vehicles": "red van"})
    assert r.status == 400
    main = r.text.split('<main id="main" class="wrap" tabindex="-1">', 1)[1]
    assert main.lstrip().startswith('<div class="error-summary"'), main[:200]
    assert "Your report has not been sent yet" in main[:400]
    # the groups holding a value come back open, with the value
    assert main.count("<details class=\"group\" open>") == 2
    assert 'value="Bern-Bümpliz"' in r.text and ">red van</textarea>" in r.text


def t_contact_answers_are_asked_about_kindly(st):
    toks = st.tokens(4)
    before = st.count()
    cases = [({"contact_ok": "yes"}, "You said we may contact you, but not how."),
             ({"contact_ok": "no", "contact": "+41 79 000 00 00"},
              "You said we should not contact you")]
    for i, (extra, question) in enumerate(cases):
        fields = dict({"token": toks[i], "description": "seen", "lang": "en"}, **extra)
        r = post(st, fields)
        assert r.status == 200 and st.count() == before, (r.status, st.count())
        assert question in html.unescape(r.text), extra
        assert 'form="report"' in r.text and 'name="confirm" value="contact"' in r.text
        assert 'href="#f-contact"' in r.text
        # "Send as it is": stored as sent, the same token still good
        r = post(st, dict(fields, confirm="contact"))
        rec = json.loads(st.cli_ok("show", "--json",
                                   st.received_ref(r)))["record"]
        assert rec["fields"]["contact_ok"] == extra["contact_ok"]
        assert "confirm" not in rec["fields"]
        before += 1
    # changing the answer instead is just as good
    r = post(st, {"token": toks[2], "description": "x", "contact_ok": "yes",
                  "contact": "signal: me", "lang": "en"})
    st.received_ref(r)
    assert st.count() == before + 1


# ---- the fictional profile ---------------------------------------------------

def t_the_fictional_profile_changes_every_page_in_every_language(ex):
    offered = ["en", "fr", "ar"]
    for path, r in pages(ex, offered):
        lang = page_lang(r)[0]
        assert path.endswith(lang), (path, lang)
        t = html.unescape(r.text)
        assert page_lang(r)[0] == lang, (path, page_lang(r))
        assert title(r) == "Ruritania Tipline (example)", title(r)
        org = ("Bureau ruritanien contre la traite (un exemple fictif)"
               if lang == "fr" else
               "Ruritanian Anti-Trafficking Office (a fictional example)")
        assert org in t, (path, lang)
        assert 'href="tel:999000"' in r.text and 'href="tel:+995550100"' in r.text
        assert 'href="https://weather.example.invalid/"' in r.text
        for swiss in ("KSMM", "tel:117", "tel:144", "meteoswiss", "ACT212",
                      "aide-aux-victimes", "Kompetenz"):
            assert swiss not in r.text, (path, swiss)
        if path.startswith(("/?", "received")):
            assert "Ruritania Victim Help (fictional)" in t
            assert 'href="tel:+995550199"' in r.text
            assert "Safe Harbour Ruritania (fictional)" in t
        for other in ALL:
            assert ('hreflang="%s"' % other in r.text) == (other in offered), \
                (path, other)
    # a language the profile does not offer is not served
    assert page_lang(ex.request("GET", "/?lang=de"))[0] == "en"
    assert page_lang(ex.request("GET", "/", headers={"Accept-Language": "de"}))[0] == "en"
    assert page_lang(ex.request("GET", "/", headers={"Accept-Language": "ar"}))[0] == "ar"
    assert "Example wording: reports are kept for 90 days" in \
        ex.request("GET", "/privacy?lang=fr").text


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        run.run("a_bad_profile_stops_start_up_with_its_line",
                t_a_bad_profile_stops_start_up_with_its_line, st)
        run.run("every_language_every_page_has_numbers_help_and_a_neutral_title",
                t_every_language_every_page_has_numbers_help_and_a_neutral_title, st)
        run.run("languages_browser_choice_english_fallback_default",
                t_languages_browser_choice_english_fallback_default, st)
        run.run("the_record_keeps_each_new_language",
                t_the_record_keeps_each_new_language, st)
        run.run("errors_come_first_and_groups_keep_what_was_typed",
                t_errors_come_first_and_groups_keep_what_was_typed, st)
        run.run("contact_answers_are_asked_about_kindly",
                t_contact_answers_are_asked_about_kindly, st)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    ex = Stack(build, extra_config="profile = %s\n" % EXAMPLE)
    try:
        run.run("the_fictional_profile_changes_every_page_in_every_language",
                t_the_fictional_profile_changes_every_page_in_every_language, ex)
        run.run("no_sanitizer_reports_fictional", ex.assert_no_sanitizer_reports)
    finally:
        ex.stop()
        ex.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
